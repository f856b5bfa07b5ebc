//! Server-rendered pages (minijinja, HTML auto-escaped): login, consent, error, and the
//! auto-submitting form of the `form_post` response mode.

use minijinja::Environment;
use std::sync::OnceLock;

fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        for (name, src) in [
            ("base.html", include_str!("../templates/base.html")),
            ("login.html", include_str!("../templates/login.html")),
            ("consent.html", include_str!("../templates/consent.html")),
            ("error.html", include_str!("../templates/error.html")),
            ("logout.html", include_str!("../templates/logout.html")),
            (
                "signed_out.html",
                include_str!("../templates/signed_out.html"),
            ),
            (
                "form_post.html",
                include_str!("../templates/form_post.html"),
            ),
        ] {
            if let Err(e) = env.add_template(name, src) {
                tracing::error!("template {name}: {e}");
            }
        }
        env
    })
}

/// Render a template; on failure, a minimal safe page (and a log line).
pub fn render(name: &str, ctx: minijinja::Value) -> String {
    match env().get_template(name).and_then(|t| t.render(ctx)) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("rendering {name}: {e}");
            "<!doctype html><title>Error</title><p>The page could not be shown.</p>".into()
        }
    }
}
