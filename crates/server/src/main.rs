//! The `writ` binary (SPEC §1).
#![forbid(unsafe_code)]

use anyhow::{Context, anyhow, bail};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::sync::Arc;
use writ_core::ports::{Clock, Store, SystemClock, SystemRng};
use writ_protocol::config::Config;
use writ_server::config::{self, Overrides};

/// mimalloc instead of the system allocator: the request path allocates and frees many small
/// and medium buffers (query strings, JSON, the stored interaction), and glibc's malloc spent
/// about a fifth of the server's CPU on them under load (docs/PERFORMANCE.md, issue 4).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "writ",
    version,
    about = "An OpenID Connect / OAuth 2.0 server built around signed authorization requests (RFC 9101)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone, Default)]
struct Common {
    /// Configuration file (TOML).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Directory of the embedded store.
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// Store URL (sqlite://PATH or postgres://...).
    #[arg(long, global = true)]
    store: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve {
        #[command(flatten)]
        common: Common,
        /// ADDR:PORT to listen on.
        #[arg(long)]
        listen: Option<String>,
        /// Issuer URL.
        #[arg(long)]
        issuer: Option<String>,
        /// Development mode: seeds user alice/alice and a demo client. Never for production.
        #[arg(long)]
        dev: bool,
    },
    /// Manage clients.
    Client {
        #[command(flatten)]
        common: Common,
        #[command(subcommand)]
        action: ClientAction,
    },
    /// Manage users.
    User {
        #[command(flatten)]
        common: Common,
        #[command(subcommand)]
        action: UserAction,
    },
    /// Manage the server's keys.
    Keys {
        #[command(flatten)]
        common: Common,
        #[command(subcommand)]
        action: KeysAction,
    },
    /// Work with request objects.
    Request {
        #[command(flatten)]
        common: Common,
        #[command(subcommand)]
        action: RequestAction,
    },
}

#[derive(Subcommand)]
enum RequestAction {
    /// Decode a request object and print every check with pass/fail and the reason; exits 1
    /// when a check fails.
    Inspect {
        /// File holding the request object (compact JWS or JWE), or - for standard input.
        file: String,
        /// The client that would send it.
        #[arg(long)]
        client: String,
        /// The issuer the object's `aud` must name, when the server runs with another than
        /// the configuration says (e.g. `writ serve --listen`).
        #[arg(long)]
        issuer: Option<String>,
    },
    /// Make a request object as a careful client would (iss, aud, exp, nbf, iat, jti; PKCE
    /// S256) and print it, or with --url the whole /authorize URL. A PKCE verifier this
    /// command made is printed on standard error.
    Sign {
        /// The client.
        #[arg(long)]
        client: String,
        /// Its private JWK (from `writ client keygen`).
        #[arg(long)]
        key: PathBuf,
        /// The signing algorithm, instead of the JWK's `alg`.
        #[arg(long)]
        alg: Option<String>,
        /// Encrypt it to the server's use=enc key (RFC 9101 §6.1).
        #[arg(long)]
        encrypt: bool,
        /// exp - iat (e.g. 5m).
        #[arg(long, default_value = "5m")]
        lifetime: String,
        /// A claim to add or replace, NAME=VALUE (a JSON array or object as JSON); repeatable.
        #[arg(long = "param")]
        params: Vec<String>,
        /// Print the /authorize URL instead of the request object.
        #[arg(long)]
        url: bool,
        /// The issuer (the request object's aud), when the server runs with another than the
        /// configuration says (e.g. `writ serve --listen`).
        #[arg(long)]
        issuer: Option<String>,
    },
}

#[derive(Subcommand)]
enum ClientAction {
    /// Add or replace a client from JSON (the keys of [[clients]]).
    Add {
        /// JSON file, or - for standard input.
        #[arg(long)]
        json: String,
    },
    /// List clients.
    List,
    /// Show one client.
    Show { id: String },
    /// Remove a client.
    Remove { id: String },
    /// Make a key pair for a client: the private JWK to --out (mode 0600, never overwritten),
    /// the public JWK set on standard output, for the registration's secrets.
    Keygen {
        /// RS256, PS256, ES256, ES384, ES512, EdDSA...
        #[arg(long)]
        alg: String,
        /// Where to write the private JWK.
        #[arg(long)]
        out: PathBuf,
    },
    /// Print a private_key_jwt client assertion (RFC 7523) signed with the client's key.
    Assertion {
        /// The client.
        #[arg(long)]
        client: String,
        /// Its private JWK (from `writ client keygen`).
        #[arg(long)]
        key: PathBuf,
        /// The audience (default: the issuer).
        #[arg(long)]
        aud: Option<String>,
    },
}

#[derive(Subcommand)]
enum UserAction {
    /// Add a user (or set the password of an existing one).
    Add {
        username: String,
        /// Read the password from standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
        /// A profile attribute, NAME=VALUE (name, email, email_verified=true, ...; OpenID
        /// Connect Core §5.1). Repeatable; added to the user's existing ones.
        #[arg(long = "claim", value_name = "NAME=VALUE")]
        claims: Vec<String>,
    },
    /// Change a user's profile attributes, keeping the password.
    Set {
        username: String,
        /// A profile attribute to set, NAME=VALUE. Repeatable.
        #[arg(long = "claim", value_name = "NAME=VALUE")]
        claims: Vec<String>,
        /// A profile attribute to remove. Repeatable.
        #[arg(long, value_name = "NAME")]
        unset: Vec<String>,
    },
    /// List users: username, sub, creation date.
    List,
    /// Show a user's account and claims (never the password hash).
    Show { username: String },
    /// Remove a user, revoking its grants (its tokens stop working) and ending its sessions.
    Remove { username: String },
    /// Forget the failed sign-ins counted for a username (`[login]`), ending a lock at once.
    Unlock { username: String },
}

#[derive(Subcommand)]
enum KeysAction {
    /// List keys.
    List,
    /// Rotate keys: a new active key; the old one stays published until the next rotation.
    Rotate {
        /// sig or enc.
        #[arg(long = "use", default_value = "sig")]
        key_use: String,
    },
}

/// Logs go to standard error: `info` and up for `writ serve`, only warnings and errors for the
/// admin commands (whose output is their result), unless `WRIT_LOG` says otherwise; colour
/// codes only when standard error is a terminal (issue 17).
fn init_logs(serving: bool) {
    let default = if serving { "info" } else { "warn" };
    let filter = tracing_subscriber::EnvFilter::try_from_env("WRIT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let json = std::env::var("WRIT_LOG_FORMAT").is_ok_and(|v| v == "json");
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    if json {
        b.json().init();
    } else {
        b.init();
    }
}

fn load(common: &Common, extra: Overrides) -> anyhow::Result<Config> {
    let o = Overrides {
        data_dir: common.data_dir.clone(),
        store: common.store.clone(),
        ..extra
    };
    config::load(common.config.as_deref(), &o).map_err(|e| anyhow!("configuration error:\n{e}"))
}

async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    let url = config::store_url(config).map_err(|e| anyhow!(e))?;
    writ_store::open(&url)
        .await
        .map_err(|e| anyhow!("store {}: {e}", redact(&url)))
}

fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("****"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    init_logs(matches!(cli.command, Command::Serve { .. }));
    let names = std::env::vars_os().filter_map(|(k, _)| k.into_string().ok());
    for name in config::unknown_variables(names) {
        tracing::warn!(
            variable = %name,
            "{name} is not a configuration key and is ignored (WRIT_<KEY> or WRIT_<TABLE>__<KEY>)"
        );
    }
    if let Err(e) = run(cli).await {
        eprintln!("writ: {e:#}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve {
            common,
            listen,
            issuer,
            dev,
        } => {
            let mut config = load(
                &common,
                Overrides {
                    listen,
                    issuer,
                    ..Default::default()
                },
            )?;
            if dev {
                writ_server::admin::dev_seed(&mut config)?;
            }
            let addr = config.listen_addr().map_err(|e| anyhow!(e))?;
            // The pages first: a template that does not parse stops start-up, naming it.
            writ_server::pages::configure(&writ_server::pages::PagesConfig::from(
                &config.interaction,
            ))
            .map_err(|e| anyhow!(e))?;
            let store = open_store(&config).await?;
            let provider = writ_server::build_provider(&config, store)
                .await
                .map_err(|e| anyhow!(e))?;
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on {addr}"))?;
            let local = listener.local_addr()?;
            let metrics = match config.metrics.listen_addr().map_err(|e| anyhow!(e))? {
                Some(a) => Some(
                    tokio::net::TcpListener::bind(a)
                        .await
                        .with_context(|| format!("metrics.listen: cannot listen on {a}"))?,
                ),
                None => None,
            };
            if dev {
                tracing::warn!(
                    "DEVELOPMENT MODE: demo user and client seeded; never use --dev in production"
                );
                let key = writ_server::admin::dev_jar_key_path(&config);
                let key = std::fs::canonicalize(&key).unwrap_or(key);
                // The same store flags, so the admin commands reach the same store.
                let mut flags = String::new();
                if let Some(file) = &common.config {
                    flags.push_str(&format!(" --config {}", file.display()));
                }
                if let Some(dir) = &common.data_dir {
                    flags.push_str(&format!(" --data-dir {}", dir.display()));
                }
                if let Some(store) = &common.store {
                    // A URL with a password is not printed: the reader puts theirs in.
                    let shown = if redact(store) == *store {
                        store.clone()
                    } else {
                        "STORE_URL".to_string()
                    };
                    flags.push_str(&format!(" --store {shown}"));
                }
                writ_server::admin::print_dev_banner(
                    &provider.settings.issuer,
                    &local,
                    &key,
                    &flags,
                );
            }
            tracing::info!(issuer = %provider.settings.issuer, listen = %local, "writ is serving");
            if let Some(m) = &metrics {
                tracing::info!(listen = %m.local_addr()?, "/metrics and /health/* are served here");
            }
            let limits = writ_server::connections::HttpLimits::from(&config.http);
            writ_server::serve_with_metrics(provider, listener, metrics, limits).await?;
            Ok(())
        }
        Command::Client { common, action } => {
            // The client's own tools need no store.
            match &action {
                ClientAction::Keygen { alg, out } => {
                    let public =
                        writ_server::client_tools::keygen(alg, out).map_err(|e| anyhow!(e))?;
                    println!("{public}");
                    eprintln!(
                        "private key written to {} (keep it secret); register the key set above \
                         as a secret of type jwks",
                        out.display()
                    );
                    return Ok(());
                }
                ClientAction::Assertion { client, key, aud } => {
                    let config = load(&common, Overrides::default())?;
                    let aud = match aud {
                        Some(a) => a.clone(),
                        None => config.effective_issuer().map_err(|e| anyhow!(e))?,
                    };
                    let jwt = writ_server::client_tools::assertion(
                        client,
                        key,
                        &aud,
                        SystemClock.now(),
                        &SystemRng,
                    )
                    .map_err(|e| anyhow!(e))?;
                    println!("{jwt}");
                    return Ok(());
                }
                _ => {}
            }
            let config = load(&common, Overrides::default())?;
            let store = open_store(&config).await?;
            match action {
                ClientAction::Keygen { .. } | ClientAction::Assertion { .. } => {}
                ClientAction::Add { json } => {
                    let provider = writ_server::build_provider(&config, store)
                        .await
                        .map_err(|e| anyhow!(e))?;
                    let id = writ_server::admin::client_add(&provider, &json)
                        .await
                        .map_err(|e| anyhow!(e))?;
                    println!("client {id} saved");
                }
                ClientAction::List => {
                    for (id, desc) in writ_server::admin::client_list(&store)
                        .await
                        .map_err(|e| anyhow!(e))?
                    {
                        println!("{id}\t{desc}");
                    }
                }
                ClientAction::Show { id } => match store.client_get(&id).await? {
                    Some(c) => {
                        let v = writ_server::admin::client_show(&c.metadata)?;
                        println!("{}", serde_json::to_string_pretty(&v)?);
                    }
                    None => bail!("no client {id:?}"),
                },
                ClientAction::Remove { id } => {
                    if store.client_remove(&id).await? {
                        println!("client {id} removed");
                    } else {
                        bail!("no client {id:?}");
                    }
                }
            }
            Ok(())
        }
        Command::User { common, action } => {
            let config = load(&common, Overrides::default())?;
            let store = open_store(&config).await?;
            match action {
                UserAction::Add {
                    username,
                    password_stdin,
                    claims,
                } => {
                    if !password_stdin {
                        bail!("use --password-stdin");
                    }
                    let text = writ_server::input::read_input("-", 4096).map_err(|e| anyhow!(e))?;
                    let password = text.strip_suffix('\n').unwrap_or(&text);
                    let password = password.strip_suffix('\r').unwrap_or(password).to_string();
                    config
                        .login
                        .check_new_password(&password)
                        .map_err(|e| anyhow!(e))?;
                    // The attributes given are added to the ones the user has.
                    let merged =
                        writ_server::admin::claims_for_add(store.as_ref(), &username, &claims)
                            .await
                            .map_err(|e| anyhow!(e))?;
                    let mut salt = [0u8; 16];
                    writ_core::ports::Rng::fill(&writ_core::ports::SystemRng, &mut salt);
                    let hash = tokio::task::spawn_blocking(move || {
                        writ_core::users::hash_password(&password, &salt)
                    })
                    .await?
                    .map_err(|e| anyhow!(e))?;
                    let id = writ_server::admin::upsert_user(
                        store.as_ref(),
                        &username,
                        &hash,
                        Some(&merged),
                        SystemClock.now(),
                    )
                    .await
                    .map_err(|e| anyhow!(e))?;
                    println!("user {username} saved (sub {id})");
                }
                UserAction::Set {
                    username,
                    claims,
                    unset,
                } => {
                    let now = writ_server::admin::user_set_claims(
                        store.as_ref(),
                        &username,
                        &claims,
                        &unset,
                    )
                    .await
                    .map_err(|e| anyhow!(e))?;
                    println!("{}", serde_json::to_string_pretty(&now)?);
                }
                UserAction::List => {
                    for line in writ_server::admin::user_list(store.as_ref())
                        .await
                        .map_err(|e| anyhow!(e))?
                    {
                        println!("{line}");
                    }
                }
                UserAction::Show { username } => {
                    let v = writ_server::admin::user_show(store.as_ref(), &username)
                        .await
                        .map_err(|e| anyhow!(e))?;
                    println!("{}", serde_json::to_string_pretty(&v)?);
                }
                UserAction::Remove { username } => {
                    let id = writ_server::admin::user_remove(
                        store.as_ref(),
                        &username,
                        SystemClock.now(),
                    )
                    .await
                    .map_err(|e| anyhow!(e))?;
                    println!(
                        "user {username} removed (sub {id}); its grants are revoked and its \
                         sessions ended"
                    );
                }
                UserAction::Unlock { username } => {
                    let had = writ_core::flows::login::unlock_account(store.as_ref(), &username)
                        .await
                        .map_err(|e| anyhow!(e))?;
                    if had {
                        println!("sign-in failures of {username} forgotten: the name is unlocked");
                    } else {
                        println!("no sign-in failures counted for {username}");
                    }
                }
            }
            Ok(())
        }
        Command::Keys { common, action } => {
            let config = load(&common, Overrides::default())?;
            let store = open_store(&config).await?;
            let kek = writ_server::config::key_encryption(&config).map_err(|e| anyhow!(e))?;
            match action {
                KeysAction::List => {
                    writ_core::keys::ensure_initial(
                        store.as_ref(),
                        &kek,
                        &SystemRng,
                        SystemClock.now(),
                    )
                    .await?;
                    println!("kid\tuse\talg\tstate\tcreated");
                    for (kid, u, alg, state, created) in writ_server::admin::keys_list(&store)
                        .await
                        .map_err(|e| anyhow!(e))?
                    {
                        println!("{kid}\t{u}\t{alg}\t{state}\t{created}");
                    }
                }
                KeysAction::Rotate { key_use } => {
                    let u = writ_server::admin::parse_use(&key_use).map_err(|e| anyhow!(e))?;
                    let made = writ_core::keys::rotate(
                        store.as_ref(),
                        u,
                        &kek,
                        &SystemRng,
                        SystemClock.now(),
                    )
                    .await?;
                    for kid in made {
                        println!("new active key {kid}");
                    }
                    println!(
                        "previous keys stay published as 'retiring' until the next rotation; running servers pick the change up within 30 s"
                    );
                }
            }
            Ok(())
        }
        Command::Request { common, action } => {
            let issuer = match &action {
                RequestAction::Sign { issuer, .. } | RequestAction::Inspect { issuer, .. } => {
                    issuer.clone()
                }
            };
            let config = load(
                &common,
                Overrides {
                    issuer,
                    ..Default::default()
                },
            )?;
            let store = open_store(&config).await?;
            match action {
                RequestAction::Sign {
                    client,
                    key,
                    alg,
                    encrypt,
                    lifetime,
                    params,
                    url,
                    issuer: _,
                } => {
                    let lifetime: writ_protocol::units::Seconds =
                        serde_json::from_value(serde_json::Value::String(lifetime))
                            .map_err(|e| anyhow!("--lifetime: {e}"))?;
                    if lifetime.as_i64() <= 0 {
                        bail!("--lifetime: must be at least 1s");
                    }
                    let provider = writ_server::build_provider(&config, store)
                        .await
                        .map_err(|e| anyhow!(e))?;
                    let req = writ_server::client_tools::SignRequest {
                        client_id: client.clone(),
                        key_file: key,
                        alg,
                        encrypt,
                        lifetime: lifetime.as_i64(),
                        params,
                    };
                    let (object, verifier) =
                        writ_server::client_tools::request_sign(&provider, &req)
                            .await
                            .map_err(|e| anyhow!(e))?;
                    if url {
                        println!(
                            "{}",
                            writ_server::client_tools::authorize_url(
                                &provider.settings.issuer,
                                &client,
                                &object
                            )
                        );
                    } else {
                        println!("{object}");
                    }
                    if let Some(v) = verifier {
                        eprintln!("code_verifier: {v}");
                    }
                }
                RequestAction::Inspect {
                    file,
                    client,
                    issuer: _,
                } => {
                    // Read more than the server would accept, so the size check can report it.
                    let limit = 4 * 1024 * 1024;
                    let token =
                        writ_server::input::read_input(&file, limit).map_err(|e| anyhow!(e))?;
                    let provider = writ_server::build_provider(&config, store)
                        .await
                        .map_err(|e| anyhow!(e))?;
                    let (text, failed) = writ_server::inspect::run(&provider, &client, &token)
                        .await
                        .map_err(|e| anyhow!(e))?;
                    print!("{text}");
                    std::io::Write::flush(&mut std::io::stdout())?;
                    if failed {
                        std::process::exit(1);
                    }
                }
            }
            Ok(())
        }
    }
}
