//! The texts of the pages, per language: TOML files whose tables are sections
//! (`[login] heading = "Sign in to continue to {client}"` is `login.heading`). English is
//! built in and complete; another language falls back to it key by key. An operator's
//! `locales/*.toml` beside their templates add languages or replace texts
//! (`docs/interaction-ui.md`).

use std::collections::HashMap;

/// The built-in catalogues: (language tag, TOML).
const BUILT_IN: &[(&str, &str)] = &[
    ("en", include_str!("../../locales/en.toml")),
    ("de", include_str!("../../locales/de.toml")),
];

/// The language every other falls back to.
pub const FALLBACK: &str = "en";

/// Largest catalogue file read (bytes).
pub const MAX_CATALOGUE_BYTES: usize = 256 * 1024;

/// Every language's texts, by dotted key.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    texts: HashMap<String, HashMap<String, String>>,
}

impl Catalogue {
    /// The built-in languages.
    pub fn built_in() -> Result<Self, String> {
        let mut c = Catalogue::default();
        for (lang, toml) in BUILT_IN {
            c.add(lang, toml)
                .map_err(|e| format!("built-in catalogue {lang}: {e}"))?;
        }
        Ok(c)
    }

    /// Add (or replace) the texts of `lang` from a TOML catalogue.
    pub fn add(&mut self, lang: &str, toml: &str) -> Result<(), String> {
        if !is_language_tag(lang) {
            return Err(format!(
                "{lang:?} is not a language tag (letters, digits and '-', e.g. \"de\", \"pt-br\")"
            ));
        }
        let value: serde_json::Value = figment::Figment::from(
            <figment::providers::Toml as figment::providers::Format>::string(toml),
        )
        .extract()
        .map_err(|e| e.to_string())?;
        let texts = self.texts.entry(lang.to_ascii_lowercase()).or_default();
        flatten("", &value, texts)
    }

    /// The languages there are texts for.
    pub fn languages(&self) -> impl Iterator<Item = &str> {
        self.texts.keys().map(String::as_str)
    }

    /// Whether there are texts for `lang`.
    pub fn has(&self, lang: &str) -> bool {
        self.texts.contains_key(lang)
    }

    /// The text of `key` in `lang`, else in English, else the key itself (a missing text
    /// shows as its name, never as an error page).
    pub fn get<'a>(&'a self, lang: &str, key: &'a str) -> &'a str {
        self.texts
            .get(lang)
            .and_then(|t| t.get(key))
            .or_else(|| self.texts.get(FALLBACK).and_then(|t| t.get(key)))
            .map_or(key, String::as_str)
    }

    /// Whether `key` has a text in some language.
    pub fn knows(&self, lang: &str, key: &str) -> bool {
        self.texts.get(lang).is_some_and(|t| t.contains_key(key))
            || self
                .texts
                .get(FALLBACK)
                .is_some_and(|t| t.contains_key(key))
    }
}

/// `{name}` in `text` replaced by the matching value of `args`; an unknown name is left as it
/// is.
pub fn fill(text: &str, args: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match args.iter().find(|(n, _)| *n == name) {
                    Some((_, v)) => out.push_str(v),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

fn is_language_tag(s: &str) -> bool {
    !s.is_empty() && s.len() <= 35 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

fn flatten(
    prefix: &str,
    value: &serde_json::Value,
    out: &mut HashMap<String, String>,
) -> Result<(), String> {
    match value {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out)?;
            }
            Ok(())
        }
        serde_json::Value::String(s) => {
            out.insert(prefix.to_string(), s.clone());
            Ok(())
        }
        _ => Err(format!("{prefix}: a text must be a string")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_language_has_every_english_key() {
        let c = Catalogue::built_in().unwrap();
        let en = &c.texts["en"];
        for (lang, texts) in &c.texts {
            for k in texts.keys() {
                assert!(en.contains_key(k), "{lang} has {k}, English does not");
            }
        }
        assert!(c.has("de"));
    }

    #[test]
    fn a_missing_text_falls_back_to_english_then_to_its_key() {
        let mut c = Catalogue::built_in().unwrap();
        c.add("fr", "[login]\ntitle = \"Connexion\"\n").unwrap();
        assert_eq!(c.get("fr", "login.title"), "Connexion");
        assert_eq!(c.get("fr", "login.submit"), "Sign in");
        assert_eq!(c.get("fr", "no.such.key"), "no.such.key");
    }

    #[test]
    fn placeholders_are_filled_and_unknown_ones_kept() {
        assert_eq!(
            fill("Sign in to {client} ({other})", &[("client", "Bank")]),
            "Sign in to Bank ({other})"
        );
        assert_eq!(fill("open { brace", &[]), "open { brace");
    }

    #[test]
    fn a_catalogue_with_a_non_text_value_is_refused_by_key() {
        let mut c = Catalogue::default();
        let e = c.add("en", "[login]\ntitle = 3\n").unwrap_err();
        assert!(e.contains("login.title"), "{e}");
        assert!(c.add("../x", "a = \"b\"").is_err());
    }
}
