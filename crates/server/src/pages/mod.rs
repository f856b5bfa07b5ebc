//! Server-rendered pages (minijinja, HTML auto-escaped): login, consent, error, sign-out, and
//! the auto-submitting form of the `form_post` response mode. Built in, or loaded from the
//! directory of `[interaction] templates` at start (each file there replaces the built-in
//! one of its name; `locales/*.toml` add or replace texts). Every text a person reads comes
//! from the catalogue in the language the request asks for ([`language::negotiate`]). The
//! template contract is in `docs/interaction-ui.md`.

pub mod catalogue;
pub mod language;

use catalogue::{Catalogue, fill};
use minijinja::value::Kwargs;
use minijinja::{Environment, State};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, OnceLock};

/// The built-in templates: (name, source).
const BUILT_IN: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/base.html")),
    ("login.html", include_str!("../../templates/login.html")),
    ("consent.html", include_str!("../../templates/consent.html")),
    ("error.html", include_str!("../../templates/error.html")),
    ("logout.html", include_str!("../../templates/logout.html")),
    (
        "signed_out.html",
        include_str!("../../templates/signed_out.html"),
    ),
    (
        "form_post.html",
        include_str!("../../templates/form_post.html"),
    ),
];

/// Largest template file read from a directory (bytes).
const MAX_TEMPLATE_BYTES: u64 = 1024 * 1024;
/// Most files read from a template directory (templates and catalogues each).
const MAX_FILES: usize = 64;

/// The templates and texts every page is rendered with.
pub struct Pages {
    env: Environment<'static>,
    catalogue: Arc<Catalogue>,
    scope_descriptions: BTreeMap<String, String>,
}

/// What `[interaction]` says about the pages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PagesConfig {
    /// `[interaction] templates`: a directory of templates and `locales/`.
    pub templates: Option<std::path::PathBuf>,
    /// `[interaction] scope_descriptions`: scope → text shown on the consent page, in every
    /// language.
    pub scope_descriptions: BTreeMap<String, String>,
}

impl From<&writ_protocol::config::InteractionConfig> for PagesConfig {
    fn from(c: &writ_protocol::config::InteractionConfig) -> Self {
        PagesConfig {
            templates: c.templates.clone(),
            scope_descriptions: c.scope_descriptions.clone(),
        }
    }
}

static PAGES: OnceLock<(PagesConfig, Pages)> = OnceLock::new();

/// Load the pages of `config` for this process: once, at start. Every template must parse and
/// every catalogue must be valid, or start-up stops with the file's name. A process serves
/// one set of pages; a second call with another configuration is refused.
pub fn configure(config: &PagesConfig) -> Result<(), String> {
    if let Some((current, _)) = PAGES.get() {
        return if current == config {
            Ok(())
        } else {
            Err("interaction.templates: this process already serves other pages".into())
        };
    }
    let pages = Pages::load(config)?;
    // A race between two first calls leaves the first one's pages: equal or refused above.
    let _ = PAGES.set((config.clone(), pages));
    Ok(())
}

/// The pages in force: [`configure`]d, else the built-in ones.
fn pages() -> &'static Pages {
    &PAGES
        .get_or_init(|| {
            let config = PagesConfig::default();
            let pages = Pages::load(&config).unwrap_or_else(|e| {
                tracing::error!("built-in pages: {e}");
                Pages::empty()
            });
            (config, pages)
        })
        .1
}

impl Pages {
    fn empty() -> Self {
        Pages {
            env: Environment::new(),
            catalogue: Arc::new(Catalogue::default()),
            scope_descriptions: BTreeMap::new(),
        }
    }

    fn load(config: &PagesConfig) -> Result<Self, String> {
        let mut catalogue = Catalogue::built_in()?;
        let mut sources: BTreeMap<String, String> = BUILT_IN
            .iter()
            .map(|(n, s)| ((*n).to_string(), (*s).to_string()))
            .collect();
        if let Some(dir) = &config.templates {
            read_templates(dir, &mut sources)?;
            read_catalogues(&dir.join("locales"), &mut catalogue)?;
        }
        let catalogue = Arc::new(catalogue);
        let mut env = Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        // Escape by the file name: every `.html` template is HTML-escaped.
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") {
                minijinja::AutoEscape::Html
            } else {
                minijinja::AutoEscape::None
            }
        });
        let texts = catalogue.clone();
        env.add_function(
            "t",
            move |state: &State, key: &str, kwargs: Kwargs| -> Result<String, minijinja::Error> {
                let lang = state
                    .lookup("lang")
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_else(|| catalogue::FALLBACK.to_string());
                let names: Vec<String> = kwargs.args().map(str::to_string).collect();
                let mut values = Vec::with_capacity(names.len());
                for n in &names {
                    let v: minijinja::Value = kwargs.get(n)?;
                    values.push(v.as_str().map_or_else(|| v.to_string(), str::to_string));
                }
                kwargs.assert_all_used()?;
                let args: Vec<(&str, &str)> = names
                    .iter()
                    .map(String::as_str)
                    .zip(values.iter().map(String::as_str))
                    .collect();
                Ok(fill(texts.get(&lang, key), &args))
            },
        );
        for (name, src) in sources {
            env.add_template_owned(name.clone(), src)
                .map_err(|e| format!("interaction.templates: {name}: {e}"))?;
        }
        Ok(Pages {
            env,
            catalogue,
            scope_descriptions: config.scope_descriptions.clone(),
        })
    }
}

fn read_templates(dir: &Path, sources: &mut BTreeMap<String, String>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| format!("interaction.templates: cannot read {}: {e}", dir.display()))?;
    let mut n = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if !name.ends_with(".html") || !path.is_file() {
            continue;
        }
        n += 1;
        if n > MAX_FILES {
            return Err(format!(
                "interaction.templates: more than {MAX_FILES} templates in {}",
                dir.display()
            ));
        }
        sources.insert(name.to_string(), read_bounded(&path)?);
    }
    Ok(())
}

fn read_catalogues(dir: &Path, catalogue: &mut Catalogue) -> Result<(), String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for (i, entry) in entries.flatten().enumerate() {
        if i >= MAX_FILES {
            return Err(format!(
                "interaction.templates: more than {MAX_FILES} files in {}",
                dir.display()
            ));
        }
        let path = entry.path();
        let Some(lang) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".toml"))
        else {
            continue;
        };
        let text = read_bounded(&path)?;
        catalogue
            .add(lang, &text)
            .map_err(|e| format!("interaction.templates: {}: {e}", path.display()))?;
    }
    Ok(())
}

fn read_bounded(path: &Path) -> Result<String, String> {
    let cannot = |e: String| format!("interaction.templates: {}: {e}", path.display());
    let size = std::fs::metadata(path)
        .map_err(|e| cannot(e.to_string()))?
        .len();
    if size > MAX_TEMPLATE_BYTES {
        return Err(cannot(format!("larger than {MAX_TEMPLATE_BYTES} bytes")));
    }
    std::fs::read_to_string(path).map_err(|e| cannot(e.to_string()))
}

/// The language of a page for a request: its `ui_locales`, then `Accept-Language`.
pub fn language(ui_locales: Option<&str>, headers: &axum::http::HeaderMap) -> String {
    let accept = headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    language::negotiate(&pages().catalogue, ui_locales, accept)
}

/// A text of the catalogue in `lang`, its `{name}`s filled from `args`.
pub fn text(lang: &str, key: &str, args: &[(&str, &str)]) -> String {
    fill(pages().catalogue.get(lang, key), args)
}

/// Whether the catalogue has a text for `key`.
pub fn has_text(lang: &str, key: &str) -> bool {
    pages().catalogue.knows(lang, key)
}

/// What the consent page says about a scope: `[interaction] scope_descriptions`, else the
/// catalogue's `scope.NAME`, else nothing (the page shows the scope itself).
pub fn scope_description(lang: &str, scope: &str) -> Option<String> {
    let p = pages();
    if let Some(d) = p.scope_descriptions.get(scope) {
        return Some(d.clone());
    }
    let key = format!("scope.{scope}");
    p.catalogue
        .knows(lang, &key)
        .then(|| p.catalogue.get(lang, &key).to_string())
}

/// Render a template in `lang` (given to it as `lang`); on failure, a minimal safe page (and
/// a log line).
pub fn render(name: &str, lang: &str, ctx: minijinja::Value) -> String {
    let ctx = minijinja::context! { lang => lang, ..ctx };
    match pages().env.get_template(name).and_then(|t| t.render(ctx)) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("rendering {name}: {e:#}");
            "<!doctype html><title>Error</title><p>The page could not be shown.</p>".into()
        }
    }
}
