//! SPEC §10 for pushed requests: two `writ serve` processes on one PostgreSQL database behave
//! as one. A request pushed on node A is used on node B; a second use fails on both; and of 50
//! concurrent uses of one pushed request, spread over both nodes, exactly one succeeds. An
//! interaction started on A (sealed in its id) is finished on B, and is then answered on both.
//!
//! The database is created fresh (`writ_par_<random>`) on the server at `WRIT_TEST_PG_URL`
//! (default `postgres://postgres@127.0.0.1:5432`, trust auth) and dropped afterwards. If the
//! server is unreachable the test fails; it never skips.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{REDIRECT, SECRET, enc, plain_params};
use reqwest::StatusCode;
use serde_json::Value;
use sqlx::{AssertSqlSafe, Connection, PgConnection};

const DEFAULT_SERVER: &str = "postgres://postgres@127.0.0.1:5432";

fn pg_server() -> String {
    std::env::var("WRIT_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_SERVER.to_owned())
}

async fn admin() -> PgConnection {
    let url = format!("{}/postgres", pg_server());
    PgConnection::connect(&url).await.unwrap_or_else(|e| {
        panic!(
            "PostgreSQL is not reachable at {} ({e}); set WRIT_TEST_PG_URL",
            pg_server()
        )
    })
}

/// Run `test` with a new PostgreSQL database (its URL) and a temporary directory, then drop
/// the database whether `test` passed or panicked (and re-raise the panic).
async fn on_fresh_database<F, Fut>(prefix: &str, test: F)
where
    F: FnOnce(String, std::path::PathBuf) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let name = format!(
        "{prefix}_{}_{}",
        std::process::id(),
        common::now() % 1_000_000
    );
    let mut conn = admin().await;
    sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let outcome = tokio::spawn(test(
        format!("{}/{name}", pg_server()),
        dir.path().to_path_buf(),
    ))
    .await;
    sqlx::query(AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await
    .unwrap();
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// A node: a `writ serve` process.
type Node = common::WritProcess;

/// Start `writ serve` on `db` with `issuer` and `[jar]` settings `jar`, and wait until it
/// answers `/health`.
async fn node(dir: &std::path::Path, name: &str, db: &str, issuer: &str, jar: &str) -> Node {
    let port = common::free_port();
    let config = dir.join(format!("{name}.toml"));
    std::fs::write(
        &config,
        format!(
            r#"
            issuer = "{issuer}"
            listen = "127.0.0.1:{port}"
            data_dir = "{data}"
            [store]
            url = "{db}"
            [jar]
            {jar}
            [[clients]]
            client_id = "rp"
            redirect_uris = ["{REDIRECT}"]
            secrets = [{{ type = "shared", value = "{SECRET}" }}, {{ type = "jwks", value = '{rp}' }}]
            [[users]]
            username = "alice"
            password_hash = "{hash}"
            "#,
            data = dir.join(name).display(),
            rp = common::rp_jwks(),
            hash = writ_core::users::hash_password("wonderland", &[1u8; 16]).unwrap(),
        ),
    )
    .unwrap();
    Node::spawn(&config, port).await
}

async fn push(http: &reqwest::Client, node: &Node) -> String {
    let r = http
        .post(format!("{}/par", node.base))
        .basic_auth("rp", Some(SECRET))
        .form(&plain_params())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.unwrap();
    v["request_uri"].as_str().unwrap().to_string()
}

/// Use `uri` at `node`: true for the interaction redirect, false for a refusal (never a 5xx).
async fn use_once(http: &reqwest::Client, node: &Node, uri: &str) -> bool {
    let r = http
        .get(format!(
            "{}/authorize?client_id=rp&request_uri={}",
            node.base,
            enc(uri)
        ))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    if r.status() == StatusCode::SEE_OTHER {
        let loc = r.headers()["location"].to_str().unwrap().to_string();
        if loc.contains("/interaction/") {
            return true;
        }
        // Refused, and delivered to the client's only registered redirect_uri.
        assert!(loc.starts_with(REDIRECT), "{loc}");
        assert!(loc.contains("error=invalid_request_uri"), "{loc}");
        return false;
    }
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], "invalid_request_uri", "{v}");
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pushed_on_one_node_is_used_once_across_two_nodes() {
    on_fresh_database("writ_par", |db, dir| async move {
        // A migrates the schema and creates the keys; B starts on them.
        let a = node(&dir, "a", &db, "http://writ.test", "").await;
        let b = node(&dir, "b", &db, "http://writ.test", "").await;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();

        // Pushed on A, used on B; a second use fails on both.
        let uri = push(&http, &a).await;
        assert!(use_once(&http, &b, &uri).await);
        assert!(!use_once(&http, &b, &uri).await);
        assert!(!use_once(&http, &a, &uri).await);

        // Fifty concurrent uses of one pushed request over both nodes: exactly one wins.
        let uri = push(&http, &b).await;
        let a = std::sync::Arc::new(a);
        let b = std::sync::Arc::new(b);
        let mut tasks = Vec::new();
        for i in 0..50 {
            let node = if i % 2 == 0 { a.clone() } else { b.clone() };
            let http = http.clone();
            let uri = uri.clone();
            tasks.push(tokio::spawn(
                async move { use_once(&http, &node, &uri).await },
            ));
        }
        let mut wins = 0;
        for t in tasks {
            wins += usize::from(t.await.unwrap());
        }
        assert_eq!(wins, 1, "exactly one of 50 concurrent uses may succeed");
    })
    .await;
}

/// PostgreSQL refuses a NUL byte in text. An id or a `jti` carrying one is unknown or
/// refused like any other bad value, never a server error: ids that no client or
/// interaction can have are not looked up, and `jti`s are stored hashed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nul_byte_in_an_id_or_jti_is_not_a_server_error_on_postgresql() {
    on_fresh_database("writ_nul", |db, dir| async move {
        let n = node(
            &dir,
            "n",
            &db,
            "http://writ.test",
            r#"replay = "require-jti""#,
        )
        .await;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let status = |r: &reqwest::Response| r.status().as_u16();
        let b = &n.base;
        let authorize = http
            .get(format!("{b}/authorize?client_id=%00&response_type=code"))
            .send()
            .await
            .unwrap();
        assert_eq!(status(&authorize), 400, "/authorize with a NUL client_id");
        let token = http
            .post(format!("{b}/token"))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", "x"),
                ("client_id", "\0"),
                ("client_secret", "x"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(status(&token), 401, "/token with a NUL client_id");
        let interaction = http
            .get(format!("{b}/interaction/%00"))
            .send()
            .await
            .unwrap();
        assert!(status(&interaction) < 500, "/interaction/%00");

        let mut claims = common::claims("http://writ.test", "rp");
        claims.insert("jti".into(), "a\0b".into());
        let ro = common::sign(&claims);
        let q = format!("client_id=rp&request={}", common::enc(&ro));
        let first = http.get(format!("{b}/authorize?{q}")).send().await.unwrap();
        assert_eq!(status(&first), 303, "a jti with a NUL byte is just a jti");
        let loc = common::location(&first);
        assert!(loc.starts_with("http://writ.test/interaction/"), "{loc}");
        let again = http.get(format!("{b}/authorize?{q}")).send().await.unwrap();
        assert_eq!(status(&again), 303);
        let loc = common::location(&again);
        assert!(
            loc.contains("error=invalid_request_object"),
            "replayed: {loc}"
        );
    })
    .await;
}

/// The interaction form `view` (JSON of `GET /interaction/{id}`) posted to `node` as `step`.
async fn post_step(
    http: &reqwest::Client,
    node: &Node,
    handle: &str,
    step: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    http.post(format!("{}/interaction/{handle}/{step}", node.base))
        .form(fields)
        .send()
        .await
        .unwrap()
}

async fn view(http: &reqwest::Client, node: &Node, handle: &str) -> reqwest::Response {
    http.get(format!("{}/interaction/{handle}", node.base))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_interaction_started_on_one_node_is_finished_on_the_other_once() {
    on_fresh_database("writ_ia", |db, dir| async move {
        let a = node(&dir, "a", &db, "http://writ.test", "").await;
        let b = node(&dir, "b", &db, "http://writ.test", "").await;
        let http = common::browser();
        let mut q = String::from("client_id=rp");
        for (k, v) in plain_params() {
            q.push_str(&format!("&{k}={}", enc(v)));
        }
        let r = http
            .get(format!("{}/authorize?{q}", a.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let loc = common::location(&r);
        let handle = loc
            .strip_prefix("http://writ.test/interaction/")
            .unwrap()
            .to_string();

        // B opens what A sealed, and signs in.
        let v: Value = view(&http, &b, &handle).await.json().await.unwrap();
        assert_eq!(v["client"]["client_id"], "rp", "{v}");
        let csrf = v["csrf_token"].as_str().unwrap().to_string();
        let login = [
            ("username", "alice"),
            ("password", "wonderland"),
            ("csrf_token", csrf.as_str()),
        ];
        let r = post_step(&http, &b, &handle, "login", &login).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);

        // A sees the sign-in B stored, and takes the consent.
        let v: Value = view(&http, &a, &handle).await.json().await.unwrap();
        assert_eq!(v["login"]["username"], "alice", "{v}");
        let csrf = v["csrf_token"].as_str().unwrap().to_string();
        let allow = [("decision", "allow"), ("csrf_token", csrf.as_str())];
        let r = post_step(&http, &a, &handle, "consent", &allow).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert!(common::location(&r).contains("code="));

        // Answered, on both nodes.
        for n in [&a, &b] {
            assert_eq!(
                view(&http, n, &handle).await.status(),
                StatusCode::BAD_REQUEST
            );
            let r = post_step(&http, n, &handle, "consent", &allow).await;
            assert!(r.status().is_client_error(), "{}", r.status());
        }
    })
    .await;
}

/// `POST /token` at `node` for an unknown code with `proof`: the proof's verdict, since a
/// proof that passes leaves only `invalid_grant`. Returns the body and the `DPoP-Nonce`.
async fn token_with_proof(
    http: &reqwest::Client,
    node: &Node,
    proof: &str,
) -> (Value, Option<String>) {
    let r = http
        .post(format!("{}/token", node.base))
        .basic_auth("rp", Some(SECRET))
        .header("DPoP", proof)
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", "unknown"),
            ("redirect_uri", REDIRECT),
        ])
        .send()
        .await
        .unwrap();
    let nonce = r
        .headers()
        .get("dpop-nonce")
        .map(|v| v.to_str().unwrap().to_string());
    (r.json().await.unwrap(), nonce)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_dpop_proof_used_on_one_node_is_refused_on_the_other() {
    on_fresh_database("writ_dpop", |db, dir| async move {
        let a = node(&dir, "a", &db, "http://writ.test", "").await;
        let b = node(&dir, "b", &db, "http://writ.test", "").await;
        let http = reqwest::Client::new();
        let h = common::dpop::Holder::ec();
        let proof = h.proof("POST", "http://writ.test/token");
        let (first, _) = token_with_proof(&http, &a, &proof).await;
        assert_eq!(first["error"], "invalid_grant", "{first}");
        let (again, _) = token_with_proof(&http, &b, &proof).await;
        assert_eq!(again["error"], "invalid_dpop_proof", "{again}");
        assert!(
            again["error_description"]
                .as_str()
                .unwrap()
                .contains("used before"),
            "{again}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_dpop_nonce_from_one_node_is_accepted_by_the_other() {
    on_fresh_database("writ_nonce", |db, dir| async move {
        let nonce_required = "[dpop]\nnonce = \"required\"";
        let a = node(&dir, "a", &db, "http://writ.test", nonce_required).await;
        let b = node(&dir, "b", &db, "http://writ.test", nonce_required).await;
        let http = reqwest::Client::new();
        let h = common::dpop::Holder::ec();
        let (asked, nonce) =
            token_with_proof(&http, &a, &h.proof("POST", "http://writ.test/token")).await;
        assert_eq!(asked["error"], "use_dpop_nonce", "{asked}");
        let nonce = nonce.expect("a DPoP-Nonce from node A");
        let proof = h.proof_with("POST", "http://writ.test/token", |_, c| {
            c.insert("nonce".into(), serde_json::json!(nonce));
        });
        let (on_b, _) = token_with_proof(&http, &b, &proof).await;
        assert_eq!(on_b["error"], "invalid_grant", "{on_b}");
    })
    .await;
}

/// `code` redeemed at `node` (client `rp`, `client_secret_basic`): the status.
async fn redeem_at(http: &reqwest::Client, node: &Node, code: &str) -> StatusCode {
    http.post(format!("{}/token", node.base))
        .basic_auth("rp", Some(SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", common::VERIFIER),
        ])
        .send()
        .await
        .unwrap()
        .status()
}

/// GET `/authorize` with the plain parameters at `node`: the interaction's handle.
async fn start_interaction(http: &reqwest::Client, node: &Node) -> String {
    let mut q = String::from("client_id=rp");
    for (k, v) in plain_params() {
        q.push_str(&format!("&{k}={}", enc(v)));
    }
    let r = http
        .get(format!("{}/authorize?{q}", node.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    common::location(&r)
        .strip_prefix("http://writ.test/interaction/")
        .unwrap()
        .to_string()
}

/// Sign in as alice (`step` "login") or allow (`"consent"`) in `handle` at `node`; the
/// redirect's `Location`.
async fn step_at(http: &reqwest::Client, node: &Node, handle: &str, step: &str) -> String {
    let v: Value = view(http, node, handle).await.json().await.unwrap();
    let csrf = v["csrf_token"].as_str().unwrap().to_string();
    let fields: Vec<(&str, &str)> = if step == "login" {
        vec![
            ("username", "alice"),
            ("password", "wonderland"),
            ("csrf_token", &csrf),
        ]
    } else {
        vec![("decision", "allow"), ("csrf_token", &csrf)]
    };
    let r = post_step(http, node, handle, step, &fields).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{step} at {}", node.base);
    common::location(&r)
}

fn code_of(location: &str) -> String {
    common::query(location)
        .get("code")
        .unwrap_or_else(|| panic!("no code in {location}"))
        .clone()
}

/// Issue 16, deliverable 7: a node killed with SIGKILL in the middle of flows loses none of
/// them. What it acknowledged is in the database, and the other node completes each: pushed
/// requests, an interaction waiting for sign-in, one waiting for consent, a code.
#[tokio::test]
async fn flows_started_on_a_node_killed_with_sigkill_are_completed_on_the_other() {
    on_fresh_database("writ_kill", |db, dir| async move {
        let mut a = node(&dir, "a", &db, "http://writ.test", "").await;
        let b = node(&dir, "b", &db, "http://writ.test", "").await;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let mut pushed = Vec::new();
        for _ in 0..5 {
            pushed.push(push(&http, &a).await);
        }
        let waiting_browser = common::browser();
        let waiting = start_interaction(&waiting_browser, &a).await;
        let signed_in_browser = common::browser();
        let signed_in = start_interaction(&signed_in_browser, &a).await;
        step_at(&signed_in_browser, &a, &signed_in, "login").await;
        let coded_browser = common::browser();
        let coded = start_interaction(&coded_browser, &a).await;
        step_at(&coded_browser, &a, &coded, "login").await;
        let code = code_of(&step_at(&coded_browser, &a, &coded, "consent").await);

        a.kill();
        assert!(
            http.get(format!("{}/health", a.base)).send().await.is_err(),
            "node a still answers"
        );

        for uri in &pushed {
            assert!(
                use_once(&http, &b, uri).await,
                "a push acknowledged by a is lost"
            );
        }
        step_at(&waiting_browser, &b, &waiting, "login").await;
        let c1 = code_of(&step_at(&waiting_browser, &b, &waiting, "consent").await);
        let c2 = code_of(&step_at(&signed_in_browser, &b, &signed_in, "consent").await);
        for c in [&code, &c1, &c2] {
            assert_eq!(redeem_at(&http, &b, c).await, StatusCode::OK);
        }
    })
    .await;
}

/// `POST {path}` at `node` as `rp` with `form`: the response.
async fn rp_post(
    http: &reqwest::Client,
    node: &Node,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    http.post(format!("{}{path}", node.base))
        .basic_auth("rp", Some(SECRET))
        .form(form)
        .send()
        .await
        .unwrap()
}

/// SPEC §15: revocation works across every node. An access token revoked on B is inactive,
/// and refused at `/userinfo`, on A; a refresh token revoked on A cannot be used on B.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_token_revoked_on_one_node_is_refused_on_the_other() {
    on_fresh_database("writ_revoke", |db, dir| async move {
        let a = node(&dir, "a", &db, "http://writ.test", "").await;
        let b = node(&dir, "b", &db, "http://writ.test", "").await;
        let http = common::browser();
        let handle = start_interaction(&http, &a).await;
        step_at(&http, &a, &handle, "login").await;
        let code = code_of(&step_at(&http, &a, &handle, "consent").await);
        let r = rp_post(
            &http,
            &a,
            "/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", common::VERIFIER),
            ],
        )
        .await;
        assert_eq!(r.status(), StatusCode::OK);
        let t: Value = r.json().await.unwrap();
        let (at, rt) = (
            t["access_token"].as_str().unwrap(),
            t["refresh_token"].as_str().unwrap(),
        );
        let active = |v: Value| v["active"].as_bool().unwrap();
        let introspect = |n: &'static str, token: String| {
            let (http, node) = (http.clone(), if n == "a" { &a } else { &b });
            let url = format!("{}/introspect", node.base);
            async move {
                let r = http
                    .post(url)
                    .basic_auth("rp", Some(SECRET))
                    .form(&[("token", token)])
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), StatusCode::OK);
                r.json::<Value>().await.unwrap()
            }
        };
        assert!(active(introspect("a", at.to_string()).await));
        let r = rp_post(&http, &b, "/revoke", &[("token", at)]).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(!active(introspect("a", at.to_string()).await));
        let r = http
            .get(format!("{}/userinfo", a.base))
            .bearer_auth(at)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

        assert!(active(introspect("b", rt.to_string()).await));
        let r = rp_post(&http, &a, "/revoke", &[("token", rt)]).await;
        assert_eq!(r.status(), StatusCode::OK);
        let r = rp_post(
            &http,
            &b,
            "/token",
            &[("grant_type", "refresh_token"), ("refresh_token", rt)],
        )
        .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert!(!active(introspect("b", rt.to_string()).await));
    })
    .await;
}
