//! Checks shared by every free-text field.

use crate::error::AppError;

/// Trims and checks a required text field: not blank, at most `max` characters.
pub fn required(field: &str, value: &str, max: usize) -> Result<String, AppError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(AppError::invalid(field, "must not be empty"));
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
        return Err(AppError::invalid(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(AppError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(value.to_owned())
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
        _ => Err(AppError::invalid(
            field,
            "must be an http:// or https:// URL",
        )),
    }
}
