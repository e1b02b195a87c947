//! The language of a browser page: the page's own switch (`?lang=ja|en`) wins, else the
//! browser's `Accept-Language` (the better-weighted of Japanese and English), else Japanese.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ja,
    En,
}

impl Lang {
    pub fn negotiate(switch: Option<&str>, accept_language: Option<&str>) -> Lang {
        if let Some(lang) = switch.and_then(Lang::parse) {
            return lang;
        }
        Lang::from_accept_language(accept_language).unwrap_or(Lang::Ja)
    }

    /// `ja` or `en`.
    pub fn parse(code: &str) -> Option<Lang> {
        match code {
            "ja" => Some(Lang::Ja),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The better-weighted of Japanese and English in an `Accept-Language` header, if it
    /// names either.
    pub fn from_accept_language(accept_language: Option<&str>) -> Option<Lang> {
        let mut best: Option<(Lang, f32)> = None;
        for range in accept_language.unwrap_or("").split(',') {
            let mut parts = range.split(';');
            let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let primary = tag.split('-').next().unwrap_or("");
            let lang = match primary {
                "ja" => Lang::Ja,
                "en" => Lang::En,
                _ => continue,
            };
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            // Earlier ranges win ties, as the browser listed them in its order of preference.
            if q > 0.0 && best.is_none_or(|(_, b)| q > b) {
                best = Some((lang, q));
            }
        }
        best.map(|(lang, _)| lang)
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Ja => Lang::En,
            Lang::En => Lang::Ja,
        }
    }

    /// The text in this language.
    pub fn pick<'a>(self, ja: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Ja => ja,
            Lang::En => en,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Lang;

    #[test]
    fn the_switch_wins_then_the_better_weighted_language_then_japanese() {
        assert_eq!(Lang::negotiate(Some("en"), Some("ja")), Lang::En);
        assert_eq!(Lang::negotiate(Some("ja"), Some("en-US")), Lang::Ja);
        assert_eq!(
            Lang::negotiate(Some("fr"), Some("en-US,en;q=0.9")),
            Lang::En
        );
        assert_eq!(
            Lang::negotiate(None, Some("en-GB;q=0.5, ja-JP;q=0.8")),
            Lang::Ja
        );
        assert_eq!(
            Lang::negotiate(None, Some("fr-FR, en;q=0.7, ja;q=0.3")),
            Lang::En
        );
        assert_eq!(Lang::negotiate(None, Some("en, ja")), Lang::En);
        assert_eq!(Lang::negotiate(None, Some("en;q=0, de")), Lang::Ja);
        assert_eq!(Lang::negotiate(None, Some("de, *")), Lang::Ja);
        assert_eq!(Lang::negotiate(None, None), Lang::Ja);
    }
}
