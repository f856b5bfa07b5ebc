//! The configuration file (SPEC §2): the parser and validation of `writ serve --config`.

use writ_core::clients::Client;
use writ_core::settings::Settings;

/// Arbitrary text as a configuration file: refused with a message or accepted, never a panic;
/// an accepted file makes settings and its clients without a panic either.
pub fn file(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(config) = writ_server::config::from_toml(text) else {
        return;
    };
    let _ = Settings::from_config(&config);
    let _ = config.listen_addr();
    for client in &config.clients {
        let _ = Client::from_config(client.clone());
    }
}
