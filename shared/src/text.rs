//! The Unicode rules validation needs (lower case, letters, digits), with the
//! same answers on the server and in the browser. In the browser they are
//! asked of JavaScript, which implements the same Unicode properties
//! (`toLowerCase`, `\p{Alphabetic}`, `\p{N}`), instead of compiling Rust's
//! Unicode tables into the SPA (~20 KB of wasm). ASCII never leaves Rust.

/// Unicode lower case (full mapping, as `str::to_lowercase`).
pub fn lowercase(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    imp::lowercase(s)
}

/// `char::is_alphabetic`: the Unicode `Alphabetic` property.
pub fn is_alphabetic(c: char) -> bool {
    if c.is_ascii() { c.is_ascii_alphabetic() } else { imp::is(Class::Alphabetic, c) }
}

/// `char::is_alphanumeric`: `Alphabetic`, or a number (`Nd`, `Nl`, `No`).
pub fn is_alphanumeric(c: char) -> bool {
    if c.is_ascii() { c.is_ascii_alphanumeric() } else { imp::is(Class::Alphanumeric, c) }
}

/// The JavaScript patterns (flag `u`) the browser answers with.
pub const ALPHABETIC_PATTERN: &str = r"^\p{Alphabetic}$";
pub const ALPHANUMERIC_PATTERN: &str = r"^[\p{Alphabetic}\p{N}]$";

#[derive(Clone, Copy)]
enum Class {
    Alphabetic,
    Alphanumeric,
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    pub fn lowercase(s: &str) -> String {
        s.to_lowercase()
    }

    pub fn is(class: super::Class, c: char) -> bool {
        match class {
            super::Class::Alphabetic => c.is_alphabetic(),
            super::Class::Alphanumeric => c.is_alphanumeric(),
        }
    }
}

#[cfg(target_arch = "wasm32")]
mod imp {
    pub fn lowercase(s: &str) -> String {
        js_sys::JsString::from(s).to_lower_case().into()
    }

    pub fn is(class: super::Class, c: char) -> bool {
        let pattern = match class {
            super::Class::Alphabetic => super::ALPHABETIC_PATTERN,
            super::Class::Alphanumeric => super::ALPHANUMERIC_PATTERN,
        };
        js_sys::RegExp::new(pattern, "u").test(c.encode_utf8(&mut [0; 4]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_answers_as_the_standard_library() {
        for s in ["Ada@ACME.com", "JÖRG@Bücher.DE", "ΣΊΣΥΦΟΣ", "İstanbul", "straße", ""] {
            assert_eq!(lowercase(s), s.to_lowercase(), "{s}");
        }
        for c in ['a', 'Z', '5', '-', '.', 'é', 'ß', 'Σ', '٣', 'Ⅻ', '½', '中', '\u{301}', '€', ' ', '\u{a0}']
        {
            assert_eq!(is_alphabetic(c), c.is_alphabetic(), "{c:?}");
            assert_eq!(is_alphanumeric(c), c.is_alphanumeric(), "{c:?}");
        }
    }
}
