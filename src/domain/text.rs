//! Checks shared by every free-text field.

use crate::error::AppError;
use crate::rule::Rule;

/// Trims and checks a required text field: not blank, at most `max` characters.
pub fn required(field: &str, value: &str, max: usize) -> Result<String, AppError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(AppError::invalid(field, Rule::Empty));
    }
    within(field, value, max)
}

/// Like `required`, but blank means absent.
pub fn optional(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>, AppError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => within(field, v, max).map(Some),
    }
}

fn within(field: &str, value: &str, max: usize) -> Result<String, AppError> {
    if value.chars().count() > max {
        return Err(AppError::invalid(field, Rule::TooLong(max)));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(AppError::invalid(field, Rule::ControlCharacters));
    }
    if value.chars().any(is_invisible_format) {
        return Err(AppError::invalid(field, Rule::InvisibleCharacters));
    }
    Ok(value.to_owned())
}

/// Characters that change how text reads without showing (Unicode format characters):
/// bidirectional overrides and isolates (U+202E turns "exe.txt" around), zero-width
/// characters, the byte order mark. A title made of them looks empty or says something
/// other than what it stores.
fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

/// An http(s) URL of reasonable length.
pub fn optional_url(field: &str, value: Option<&str>) -> Result<Option<String>, AppError> {
    let Some(url) = optional(field, value, 2048)? else {
        return Ok(None);
    };
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !url.contains(char::is_whitespace) => Ok(Some(url)),
        _ => Err(AppError::invalid(field, Rule::NotUrl)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_and_direction_characters_are_refused() {
        for bad in [
            "\u{202E}txt.exe",
            "\u{FEFF}",
            "税务\u{200B}局",
            "a\u{2066}b",
        ] {
            assert!(required("title", bad, 200).is_err(), "{bad:?}");
        }
        assert!(required("title", "网传某地个税汇算退税被暂停", 200).is_ok());
    }
}
