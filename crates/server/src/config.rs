//! Loading the configuration (SPEC §1–2): defaults, then the TOML file, then `WRIT_`
//! environment variables (nested keys with `__`: `WRIT_JAR__CLOCK_SKEW=10s`), then command-line
//! flags. Unknown keys and bad values stop start-up with a message naming the key.

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use std::path::{Path, PathBuf};
use writ_protocol::config::Config;

/// Command-line values that override the file and the environment.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    /// `--data-dir`.
    pub data_dir: Option<PathBuf>,
    /// `--listen`.
    pub listen: Option<String>,
    /// `--issuer`.
    pub issuer: Option<String>,
    /// `--store`.
    pub store: Option<String>,
}

/// Load, merge and validate. The error text names every bad key.
pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Config, String> {
    let mut fig = Figment::from(Serialized::defaults(Config::default()));
    if let Some(f) = file {
        if !f.is_file() {
            return Err(format!("configuration file {} does not exist", f.display()));
        }
        fig = fig.merge(Toml::file_exact(f));
    }
    fig = fig.merge(
        Env::prefixed("WRIT_")
            .filter(|k| is_config_variable(k.as_str()))
            .split("__"),
    );
    let mut config = extract(&fig)?;
    if let Some(d) = &overrides.data_dir {
        config.data_dir = Some(d.clone());
    }
    if let Some(l) = &overrides.listen {
        config.listen = Some(l.clone());
    }
    if let Some(i) = &overrides.issuer {
        config.issuer = Some(i.clone());
    }
    if let Some(s) = &overrides.store {
        config.store.url = Some(s.clone());
    }
    config.validate().map_err(|errs| errs.join("\n"))?;
    Ok(config)
}

/// A configuration file's text alone: the defaults, then `text`, validated, as [`load`] reads
/// a file when no environment variable or flag overrides it. The fuzz target `config` drives
/// this with arbitrary text (issue 16).
pub fn from_toml(text: &str) -> Result<Config, String> {
    let fig = Figment::from(Serialized::defaults(Config::default())).merge(Toml::string(text));
    let config = extract(&fig)?;
    config.validate().map_err(|errs| errs.join("\n"))?;
    Ok(config)
}

/// The merged figure as a [`Config`]; every error, one per line, each starting with the
/// field's path as the docs write it (issue 17): `clients[1].secrets[0].value: ...`.
fn extract(fig: &Figment) -> Result<Config, String> {
    fig.extract()
        .map_err(|e| e.into_iter().map(describe).collect::<Vec<_>>().join("\n"))
}

/// One configuration error: the field's path, the problem, and where the value came from
/// (the file, or the environment variable).
fn describe(e: figment::Error) -> String {
    let path = field_path(&e.path);
    let origin = e.metadata.as_ref().map(|m| match &m.source {
        Some(figment::Source::File(f)) => f.display().to_string(),
        // The variable as the operator wrote it: nested keys joined by `__`.
        _ if m.name.contains("environment") => format!(
            "environment variable WRIT_{}",
            e.path.join("__").to_uppercase()
        ),
        _ => m.name.to_string(),
    });
    let problem = e.kind.to_string();
    match (path.is_empty(), origin) {
        (true, Some(o)) => format!("{o}: {problem}"),
        (true, None) => problem,
        (false, Some(o)) => format!("{path}: {problem} (in {o})"),
        (false, None) => format!("{path}: {problem}"),
    }
}

/// `["clients", "1", "secrets", "0", "value"]` as `clients[1].secrets[0].value`.
fn field_path(keys: &[String]) -> String {
    let mut out = String::new();
    for k in keys {
        if k.parse::<usize>().is_ok() {
            out.push_str(&format!("[{k}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(k);
        }
    }
    out
}

/// `[keys]` read: the key-encryption keys, from the configuration or the files it names
/// (issue 16, finding 5). `None` configured: private keys are stored as plaintext.
pub fn key_encryption(config: &Config) -> Result<writ_core::key_encryption::KeyEncryption, String> {
    use writ_core::key_encryption::{Kek, KeyEncryption};
    let keys = &config.keys;
    let read = |name: &str,
                inline: &Option<writ_protocol::keys::SecretString>,
                file: &Option<std::path::PathBuf>|
     -> Result<Option<Kek>, String> {
        let (text, key) = match (inline, file) {
            (Some(v), _) => (v.expose().to_owned(), format!("keys.{name}")),
            (None, Some(path)) => (read_kek_file(path, name)?, format!("keys.{name}_file")),
            (None, None) => return Ok(None),
        };
        let bytes = writ_protocol::keys::decode_kek(&text).map_err(|e| format!("{key}: {e}"))?;
        Kek::new(&bytes)
            .map(Some)
            .map_err(|e| format!("{key}: {e}"))
    };
    let current = read("kek", &keys.kek, &keys.kek_file)?;
    let previous = read("previous_kek", &keys.previous_kek, &keys.previous_kek_file)?;
    Ok(match current {
        Some(current) => KeyEncryption::new(current, previous),
        None => KeyEncryption::none(),
    })
}

/// `[rar]` read: the accepted types, and the JSON Schema files of `[rar.schemas]` parsed and
/// compiled. A file that cannot be read, is over [`MAX_SCHEMA_FILE_BYTES`], is not JSON or is
/// not a schema stops start-up with the key's name.
pub fn rar_policy(
    config: &Config,
) -> Result<writ_core::authorize::authorization_details::RarPolicy, String> {
    use std::io::Read;
    let mut schemas = std::collections::HashMap::new();
    for (t, path) in &config.rar.schemas {
        let cannot = |e: String| format!("rar.schemas.{t}: {}: {e}", path.display());
        let mut text = String::new();
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_SCHEMA_FILE_BYTES + 1).read_to_string(&mut text))
            .map_err(|e| cannot(format!("cannot read it ({e})")))?;
        if text.len() as u64 > MAX_SCHEMA_FILE_BYTES {
            return Err(cannot(format!("over {MAX_SCHEMA_FILE_BYTES} bytes")));
        }
        let schema: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| cannot(format!("not JSON ({e})")))?;
        schemas.insert(t.clone(), schema);
    }
    writ_core::authorize::authorization_details::RarPolicy::new(config.rar.types.clone(), schemas)
}

/// A JSON Schema file of `[rar.schemas]` is at most this long.
const MAX_SCHEMA_FILE_BYTES: u64 = 1024 * 1024;

/// The text of a KEK file, read no further than [`MAX_KEK_FILE_BYTES`]: a path to a device or
/// a large file by mistake is refused, not read to its end.
fn read_kek_file(path: &Path, name: &str) -> Result<String, String> {
    use std::io::Read;
    let cannot =
        |e: std::io::Error| format!("keys.{name}_file: cannot read {}: {e}", path.display());
    let mut text = String::new();
    std::fs::File::open(path)
        .map_err(cannot)?
        .take(MAX_KEK_FILE_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(cannot)?;
    if text.len() as u64 > MAX_KEK_FILE_BYTES {
        return Err(format!(
            "keys.{name}_file: {} is over {MAX_KEK_FILE_BYTES} bytes; it should hold only the key in base64",
            path.display()
        ));
    }
    Ok(text)
}

/// A KEK file holds 44 characters of base64 and maybe a newline.
const MAX_KEK_FILE_BYTES: u64 = 1024;

/// The store URL: `[store] url`, or a SQLite file in the data directory.
pub fn store_url(config: &Config) -> Result<String, String> {
    if let Some(u) = &config.store.url {
        return Ok(u.clone());
    }
    let dir = config
        .data_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("."));
    std::fs::create_dir_all(&dir)
        .map_err(|e| format!("data_dir: cannot create {}: {e}", dir.display()))?;
    Ok(writ_store::sqlite_url_for_dir(&dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_in_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("writ.toml");
        std::fs::write(&f, "listn = \"127.0.0.1:1\"\n").unwrap();
        let e = load(Some(&f), &Overrides::default()).unwrap_err();
        assert!(e.contains("listn"), "{e}");
    }

    #[test]
    fn invalid_value_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("writ.toml");
        std::fs::write(&f, "[jar]\nclock_skew = \"forever\"\n").unwrap();
        let e = load(Some(&f), &Overrides::default()).unwrap_err();
        assert!(e.contains("clock_skew"), "{e}");
    }

    #[test]
    fn flags_override_file() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("writ.toml");
        std::fs::write(&f, "listen = \"127.0.0.1:1\"\n").unwrap();
        let o = Overrides {
            listen: Some("127.0.0.1:2".into()),
            ..Default::default()
        };
        let c = load(Some(&f), &o).unwrap();
        assert_eq!(c.listen.as_deref(), Some("127.0.0.1:2"));
    }
}

/// Whether `WRIT_<key>` is a configuration override: its first part (before `__`) names a
/// top-level key of the file, in any letter case. Others (`WRIT_LOG`, `WRIT_TEST_PG_URL`, a
/// script's `WRIT_BIN`) are not read as configuration.
pub fn is_config_variable(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    let first = k.split("__").next().unwrap_or_default();
    writ_protocol::config::TOP_LEVEL_KEYS.contains(&first)
}

/// The `WRIT_` variables of `vars` that are neither configuration nor read by the server
/// otherwise (`WRIT_LOG`, `WRIT_LOG_FORMAT`, the tests' `WRIT_TEST_*`): `writ` warns about
/// each by name and goes on (issue 17), since a typo there changes nothing.
pub fn unknown_variables(vars: impl Iterator<Item = String>) -> Vec<String> {
    vars.filter(|name| {
        let Some(key) = name
            .get(..5)
            .filter(|p| p.eq_ignore_ascii_case("WRIT_"))
            .and_then(|_| name.get(5..))
        else {
            return false;
        };
        let k = key.to_ascii_lowercase();
        !(is_config_variable(&k) || k.starts_with("test_") || k == "log" || k == "log_format")
    })
    .collect()
}

#[cfg(test)]
mod env_tests {
    use super::is_config_variable;
    use std::path::Path;

    #[test]
    fn a_parse_error_names_the_fields_path_first() {
        let e = super::from_toml(
            "[[clients]]\nclient_id = \"a\"\nredirect_uris = [\"https://a.example/cb\"]\n\
             [[clients]]\nclient_id = \"b\"\nredirect_uris = [\"https://a.example/cb\"]\n\
             secrets = [{ type = \"shared\", value = 42 }]\n",
        )
        .unwrap_err();
        assert!(e.starts_with("clients[1].secrets[0].value: "), "{e}");
        let e = super::from_toml("[jar]\nclock_skew = \"abc\"\n").unwrap_err();
        assert!(e.starts_with("jar.clock_skew: invalid duration"), "{e}");
        let e = super::from_toml("[jar]\nclok_skew = \"1s\"\n").unwrap_err();
        assert!(e.starts_with("jar.clok_skew: unknown field"), "{e}");
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail decides the closure's type
    fn an_unknown_writ_variable_does_not_stop_loading() {
        // Through figment's own reading of the environment: WRIT_BIN is not a key.
        figment::Jail::expect_with(|jail| {
            jail.set_env("WRIT_BIN", "/usr/bin/writ");
            jail.set_env("WRIT_JAR__CLOCK_SKEW", "7s");
            let c = super::load(None::<&Path>, &super::Overrides::default())
                .map_err(figment::Error::from)?;
            assert_eq!(c.jar.clock_skew.as_secs(), 7);
            Ok(())
        });
    }

    #[test]
    fn logging_and_test_variables_are_not_configuration() {
        for k in [
            "LOG",
            "log",
            "LOG_FORMAT",
            "TEST_PG_URL",
            "test_x",
            "BIN",
            "ISSUERX",
        ] {
            assert!(!is_config_variable(k), "{k}");
        }
        for k in [
            "ISSUER",
            "JAR__REQUIRE_AUD",
            "STORE__URL",
            "jar__clock_skew",
        ] {
            assert!(is_config_variable(k), "{k}");
        }
    }

    #[test]
    fn an_unknown_writ_variable_is_named_not_read() {
        let vars = [
            "WRIT_BIN",
            "WRIT_LOG",
            "WRIT_LOG_FORMAT",
            "WRIT_TEST_PG_URL",
            "WRIT_ISSUER",
            "WRIT_JAR__CLOCK_SKEW",
            "writ_isuer",
            "PATH",
            "WRIT",
        ]
        .map(String::from);
        assert_eq!(
            super::unknown_variables(vars.into_iter()),
            ["WRIT_BIN", "writ_isuer"]
        );
    }
}
