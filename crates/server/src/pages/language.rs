//! Which language a page is in: the request's `ui_locales` (OpenID Connect Core §3.1.2.1,
//! in order of preference), then the browser's `Accept-Language` (RFC 9110 §12.5.4, by
//! quality), matched exactly and then by primary subtag (`de-CH` → `de`); English otherwise.

use super::catalogue::{Catalogue, FALLBACK};

/// Most language ranges read from one header (the rest are ignored).
const MAX_RANGES: usize = 16;

/// The language to show, among those `catalogue` has.
pub fn negotiate(
    catalogue: &Catalogue,
    ui_locales: Option<&str>,
    accept_language: Option<&str>,
) -> String {
    let from_request = ui_locales
        .into_iter()
        .flat_map(|l| l.split(' '))
        .filter(|l| !l.is_empty())
        .take(MAX_RANGES)
        .map(|l| (l, 1000u16));
    let from_browser = accept_language.map(ranked).unwrap_or_default();
    from_request
        .chain(from_browser)
        .filter(|(_, q)| *q > 0)
        .find_map(|(tag, _)| matching(catalogue, tag))
        .unwrap_or_else(|| FALLBACK.to_string())
}

/// The ranges of an `Accept-Language` value, best first (a stable sort keeps the header's
/// order among equals); quality in thousandths.
fn ranked(header: &str) -> Vec<(&str, u16)> {
    let mut ranges: Vec<(&str, u16)> = header
        .split(',')
        .take(MAX_RANGES)
        .filter_map(|part| {
            let mut it = part.split(';');
            let tag = it.next()?.trim();
            if tag.is_empty() || tag == "*" {
                return None;
            }
            // RFC 9110 §12.4.2: the `q` weight's name is case-insensitive.
            let q = it
                .find_map(|p| {
                    let p = p.trim();
                    let name = p.get(..2)?;
                    name.eq_ignore_ascii_case("q=")
                        .then(|| p.get(2..))
                        .flatten()
                })
                .map_or(Some(1000), quality)?;
            Some((tag, q))
        })
        .collect();
    ranges.sort_by_key(|r| std::cmp::Reverse(r.1));
    ranges
}

/// RFC 9110 §12.4.2 `qvalue` as thousandths; `None` when malformed.
fn quality(q: &str) -> Option<u16> {
    let v: f32 = q.parse().ok()?;
    (0.0..=1.0)
        .contains(&v)
        .then(|| (v * 1000.0).round() as u16)
}

/// RFC 4647 §3.4 lookup: the tag, then the tag with its last subtag cut, and so on
/// (`zh-hant-tw`, `zh-hant`, `zh`).
fn matching(catalogue: &Catalogue, tag: &str) -> Option<String> {
    let mut tag = tag.to_ascii_lowercase();
    loop {
        if catalogue.has(&tag) {
            return Some(tag);
        }
        let cut = tag.rfind('-')?;
        tag.truncate(cut);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c() -> Catalogue {
        Catalogue::built_in().unwrap()
    }

    #[test]
    fn accept_language_picks_the_best_quality_it_has() {
        assert_eq!(
            negotiate(&c(), None, Some("fr;q=0.9, de-CH;q=0.8, en;q=0.5")),
            "de"
        );
        assert_eq!(negotiate(&c(), None, Some("en-GB,de;q=0.1")), "en");
        assert_eq!(negotiate(&c(), None, Some("de;q=0, en;q=0.1")), "en");
        assert_eq!(negotiate(&c(), None, Some("fr, ja")), "en");
        assert_eq!(negotiate(&c(), None, None), "en");
        assert_eq!(negotiate(&c(), None, Some(";;;,q=,*")), "en");
    }

    #[test]
    fn q_is_case_insensitive_and_tags_are_cut_subtag_by_subtag() {
        assert_eq!(negotiate(&c(), None, Some("de;Q=0, en")), "en");
        assert_eq!(negotiate(&c(), None, Some("de;é=1, en;q=0.5")), "de");
        let mut with_hant = c();
        with_hant
            .add("zh-hant", "[login]\ntitle = \"登入\"\n")
            .unwrap();
        assert_eq!(negotiate(&with_hant, None, Some("zh-Hant-TW")), "zh-hant");
        assert_eq!(negotiate(&with_hant, None, Some("de-DE-1996")), "de");
    }

    #[test]
    fn ui_locales_of_the_request_come_before_the_browser() {
        assert_eq!(negotiate(&c(), Some("fr de"), Some("en")), "de");
        assert_eq!(negotiate(&c(), Some("fr"), Some("de")), "de");
    }
}
