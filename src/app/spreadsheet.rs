//! Text cells of CSV the service writes, defused for spreadsheets: Excel and WPS run a
//! cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return as a formula (a
//! unit named `=HYPERLINK(…)` would become a live link). OWASP's rule: such a cell
//! gets a leading `'`, which spreadsheets show as text and do not display.

use std::borrow::Cow;

pub fn text_cell(text: &str) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_become_text() {
        for bad in [
            "=HYPERLINK(\"http://evil.example\",\"点此\")",
            "+1",
            "-2",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
        ] {
            assert_eq!(text_cell(bad), format!("'{bad}"));
        }
        assert_eq!(text_cell("天河区税务局"), "天河区税务局");
        assert_eq!(text_cell("440106"), "440106");
    }
}
