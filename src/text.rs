//! What a display name (an importer's or an API target's) may contain, and the key
//! that decides when two names are the same.
//!
//! Two names that look alike are one name: the key is the NFC form after full
//! Unicode case folding (`Straße` = `STRASSE`, a precomposed `é` = `e` + U+0301).
//! Characters that make names lie about themselves are refused in what users type:
//! control characters, bidirectional controls (U+202E turns `gpj.exe` into what
//! reads as `exe.jpg`) and default-ignorable code points (zero-width spaces and
//! joiners, soft hyphens, variation selectors), which render as nothing and would
//! let `admin` and `ad\u{200B}min` coexist. Names that come from a definition's
//! title are cleaned instead of refused, so a cosmetic flaw in an upstream spec
//! never fails an import.

use icu_casemap::CaseMapper;
use icu_normalizer::ComposingNormalizerBorrowed;
use icu_properties::CodePointSetData;
use icu_properties::props::{BidiControl, DefaultIgnorableCodePoint};

/// The comparison key of a name: NFC of the full case folding of its NFC form.
pub fn name_key(name: &str) -> String {
    let nfc = ComposingNormalizerBorrowed::new_nfc();
    let folded = CaseMapper::new()
        .fold_string(&nfc.normalize(name))
        .into_owned();
    nfc.normalize(&folded).into_owned()
}

/// The name as stored: trimmed and in NFC.
pub fn normalized(name: &str) -> String {
    ComposingNormalizerBorrowed::new_nfc()
        .normalize(name.trim())
        .into_owned()
}

/// Why `c` may not appear in a name, if it may not.
fn refused(c: char) -> Option<&'static str> {
    if c.is_control() {
        Some("a control character")
    } else if CodePointSetData::new::<BidiControl>().contains(c) {
        Some("a bidirectional control")
    } else if CodePointSetData::new::<DefaultIgnorableCodePoint>().contains(c) {
        Some("an invisible character")
    } else if matches!(c, '\u{2028}' | '\u{2029}') {
        Some("a line separator")
    } else {
        None
    }
}

/// A regular expression (JSON Schema `pattern`, Python/ECMAScript syntax) that
/// matches exactly the names [`check_name`] accepts and that are not blank: built
/// from the same rule by walking every code point once.
pub fn name_pattern() -> String {
    // The refused set as sorted, merged ranges: the same sets `refused` asks.
    let mut ranges: Vec<(u32, u32)> = vec![(0x00, 0x1F), (0x7F, 0x9F), (0x2028, 0x2029)];
    ranges.extend(
        CodePointSetData::new::<BidiControl>()
            .iter_ranges()
            .chain(CodePointSetData::new::<DefaultIgnorableCodePoint>().iter_ranges())
            .map(|r| (*r.start(), *r.end())),
    );
    ranges.sort_unstable();
    let mut merged: Vec<(u32, u32)> = Vec::new();
    for (a, b) in ranges {
        match merged.last_mut() {
            Some((_, end)) if a <= *end + 1 => *end = (*end).max(b),
            _ => merged.push((a, b)),
        }
    }
    let ranges = merged;
    // `\uXXXX` is read alike by ECMAScript and Python; characters beyond the BMP
    // are written as themselves (Python, and ECMAScript with the `u` flag).
    let esc = |cp: u32| match char::from_u32(cp) {
        Some(c) if cp > 0xFFFF => c.to_string(),
        _ => format!("\\u{cp:04x}"),
    };
    let class: String = ranges
        .iter()
        .map(|(a, b)| {
            if a == b {
                esc(*a)
            } else {
                format!("{}-{}", esc(*a), esc(*b))
            }
        })
        .collect();
    format!("^[^{class}]*[^\\s{class}][^{class}]*$")
}

/// Checks a name a user typed; the error names the first refused character.
pub fn check_name(name: &str) -> Result<(), String> {
    match name.chars().find_map(|c| refused(c).map(|why| (c, why))) {
        Some((c, why)) => Err(format!("must not contain U+{:04X} ({why})", u32::from(c))),
        None => Ok(()),
    }
}

/// A name taken from a definition (its title): refused characters removed,
/// whitespace runs collapsed, trimmed and in NFC. `None` when nothing is left.
pub fn clean_name(name: &str) -> Option<String> {
    let kept: String = name
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .filter(|c| refused(*c).is_none())
        .collect();
    let collapsed = kept.split_whitespace().collect::<Vec<_>>().join(" ");
    let out = normalized(&collapsed);
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_fold_case_and_compose() {
        assert_eq!(name_key("Straße"), name_key("STRASSE"));
        assert_eq!(name_key("Caf\u{e9}"), name_key("CAFE\u{301}"));
        assert_eq!(name_key("ΣΊΣΥΦΟΣ"), name_key("σίσυφος"));
        assert_ne!(name_key("petstore"), name_key("pet store"));
    }

    #[test]
    fn refused_characters_are_named() {
        for (name, code) in [
            ("ad\u{200B}min", "U+200B"),
            ("gpj\u{202E}.exe", "U+202E"),
            ("a\u{0}b", "U+0000"),
            ("tab\there", "U+0009"),
            ("soft\u{AD}hyphen", "U+00AD"),
            ("line\u{2028}sep", "U+2028"),
            ("isolate\u{2066}x", "U+2066"),
            ("zwj\u{200D}x", "U+200D"),
        ] {
            let err = check_name(name).expect_err(name);
            assert!(err.contains(code), "{name:?}: {err}");
        }
        for ok in ["Payments API (prod)", "Ünïcødé", "日本語のAPI", "emoji 🚀"] {
            assert_eq!(check_name(ok), Ok(()), "{ok}");
        }
    }

    /// The documented pattern accepts exactly what `check_name` accepts.
    #[test]
    fn the_name_pattern_agrees_with_the_check() {
        let re = regex::Regex::new(&name_pattern()).expect("a valid regular expression");
        let samples = [
            "Payments API",
            " padded ",
            "Ünïcødé",
            "日本語",
            "🚀 rocket",
            "a",
            "x".repeat(300).as_str().to_owned().leak(),
            "",
            "   ",
            "\u{a0}",
            "ad\u{200B}min",
            "gpj\u{202E}.exe",
            "a\u{0}b",
            "tab\there",
            "z\u{E0041}",
            "soft\u{AD}",
            "line\u{2028}",
            "ok\u{FE0F}",
            "\u{1D173}x",
        ];
        for name in samples {
            let check = check_name(name).is_ok() && !name.trim().is_empty();
            assert_eq!(re.is_match(name), check, "{name:?}");
        }
    }

    #[test]
    fn titles_are_cleaned_not_refused() {
        assert_eq!(
            clean_name("  Pet\u{200B}store \u{202E}API\n v2 ").as_deref(),
            Some("Petstore API v2")
        );
        assert_eq!(clean_name("\u{200B}\u{200D} "), None);
    }
}
