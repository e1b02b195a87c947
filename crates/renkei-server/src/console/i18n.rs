//! The text of every page, from one Fluent catalogue per language
//! (`locales/<lang>/<area>.ftl`). Templates never hold words, only keys.

use std::fmt::Display;
use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

use crate::pages::Lang;

/// Lists the catalogue files of a language, one per area of the pages.
macro_rules! catalogue_files {
    ($lang:literal) => {
        [
            include_str!(concat!("../../locales/", $lang, "/common.ftl")),
            include_str!(concat!("../../locales/", $lang, "/errors.ftl")),
            include_str!(concat!("../../locales/", $lang, "/home.ftl")),
            include_str!(concat!("../../locales/", $lang, "/connections.ftl")),
            include_str!(concat!("../../locales/", $lang, "/directory.ftl")),
            include_str!(concat!("../../locales/", $lang, "/event_types.ftl")),
            include_str!(concat!("../../locales/", $lang, "/bulk.ftl")),
            include_str!(concat!("../../locales/", $lang, "/log.ftl")),
            include_str!(concat!("../../locales/", $lang, "/preview.ftl")),
            include_str!(concat!("../../locales/", $lang, "/settings.ftl")),
            include_str!(concat!("../../locales/", $lang, "/self_service.ftl")),
            include_str!(concat!("../../locales/", $lang, "/why.ftl")),
        ]
    };
}

pub(crate) const JA_FILES: [&str; 12] = catalogue_files!("ja");
pub(crate) const EN_FILES: [&str; 12] = catalogue_files!("en");

struct Catalogue {
    bundle: FluentBundle<FluentResource>,
}

impl Catalogue {
    fn load(lang: &str, files: &[&str]) -> Catalogue {
        let id = lang.parse().expect("a valid language tag");
        let mut bundle = FluentBundle::new_concurrent(vec![id]);
        // No Unicode isolation marks around arguments: they show up in copied text and tests.
        bundle.set_use_isolating(false);
        for source in files {
            let resource =
                FluentResource::try_new((*source).to_string()).unwrap_or_else(|(_, errors)| {
                    panic!("catalogue {lang} does not parse: {errors:?}")
                });
            bundle
                .add_resource(resource)
                .unwrap_or_else(|errors| panic!("catalogue {lang} repeats keys: {errors:?}"));
        }
        Catalogue { bundle }
    }

    fn format(&self, key: &str, args: Option<&FluentArgs>) -> Option<String> {
        let message = self.bundle.get_message(key)?;
        let pattern = message.value()?;
        let mut errors = vec![];
        let text = self.bundle.format_pattern(pattern, args, &mut errors);
        Some(text.into_owned())
    }
}

static JA: LazyLock<Catalogue> = LazyLock::new(|| Catalogue::load("ja", &JA_FILES));
static EN: LazyLock<Catalogue> = LazyLock::new(|| Catalogue::load("en", &EN_FILES));

/// Translates into one language. Cheap to copy into every template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tr {
    pub lang: Lang,
}

impl Tr {
    pub fn new(lang: Lang) -> Tr {
        Tr { lang }
    }

    fn catalogue(self) -> &'static Catalogue {
        match self.lang {
            Lang::Ja => &JA,
            Lang::En => &EN,
        }
    }

    /// The text for `key`; a missing key shows as `⟦key⟧` (the catalogue tests catch it).
    pub fn get(self, key: &str) -> String {
        self.maybe(key).unwrap_or_else(|| format!("⟦{key}⟧"))
    }

    /// The text for `key`, if the catalogue has it (e.g. an error code's own wording).
    pub fn maybe(self, key: &str) -> Option<String> {
        self.catalogue().format(key, None)
    }

    /// The text for `key` with one text argument `$name`.
    pub fn with(self, key: &str, name: &str, value: impl Display) -> String {
        let mut args = FluentArgs::new();
        args.set(name.to_string(), FluentValue::from(value.to_string()));
        self.format_args(key, &args)
    }

    /// The text for `key` with one number `$name` (plural forms choose on it).
    pub fn count(self, key: &str, name: &str, n: i64) -> String {
        let mut args = FluentArgs::new();
        args.set(name.to_string(), FluentValue::from(n));
        self.format_args(key, &args)
    }

    pub fn format_args(self, key: &str, args: &FluentArgs) -> String {
        self.catalogue()
            .format(key, Some(args))
            .unwrap_or_else(|| format!("⟦{key}⟧"))
    }
}

#[cfg(test)]
/// Every message key of one language's catalogue files.
pub(crate) fn keys(files: &[&str]) -> std::collections::BTreeSet<String> {
    use fluent_syntax::ast::Entry;
    let mut keys = std::collections::BTreeSet::new();
    for source in files {
        let resource = FluentResource::try_new((*source).to_string()).expect("catalogue parses");
        for entry in resource.entries() {
            if let Entry::Message(m) = entry {
                keys.insert(m.id.name.to_string());
            }
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::*;

    #[test]
    fn both_catalogues_have_the_same_keys() {
        let ja = keys(&JA_FILES);
        let en = keys(&EN_FILES);
        let only_ja: Vec<_> = ja.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&ja).collect();
        assert!(
            only_ja.is_empty() && only_en.is_empty(),
            "only in ja: {only_ja:?}\nonly in en: {only_en:?}"
        );
        assert!(ja.len() > 50, "the catalogues look empty: {}", ja.len());
    }

    fn files_under(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files_under(&path, out);
            } else {
                out.push(path);
            }
        }
    }

    /// Every key a template or a page handler names literally is in the catalogues (keys
    /// built at run time are checked by the tests of the code that builds them).
    #[test]
    fn every_key_the_pages_use_exists() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = vec![];
        files_under(&root.join("templates"), &mut files);
        files_under(&root.join("src/console"), &mut files);
        files_under(&root.join("src/selfservice"), &mut files);
        let literal = regex::Regex::new(
            r#"(?:\.t|\.tw|\.tn|tr\.get|\.with|\.count|\.maybe|format_args|\.page|message_page|bare_page)\((?:[^()"]*?,\s*)?"([a-z][a-z0-9]*(?:-[a-z0-9]+)+)""#,
        )
        .unwrap();
        let listed = regex::Regex::new(r#"&\[((?:\s*"[a-z0-9-]+",?)+)\s*\]"#).unwrap();
        let quoted = regex::Regex::new(r#""([a-z][a-z0-9]*(?:-[a-z0-9]+)+)""#).unwrap();
        let known = keys(&JA_FILES);
        let mut used = BTreeSet::new();
        // (This file's own tests name keys that must not exist.)
        files.retain(|f| !f.ends_with("i18n.rs"));
        for file in &files {
            let text = std::fs::read_to_string(file).unwrap();
            for c in literal.captures_iter(&text) {
                used.insert((c[1].to_string(), file.display().to_string()));
            }
            for list in listed.captures_iter(&text) {
                for c in quoted.captures_iter(&list[1]) {
                    used.insert((c[1].to_string(), file.display().to_string()));
                }
            }
        }
        let missing: Vec<_> = used.iter().filter(|(k, _)| !known.contains(k)).collect();
        assert!(
            missing.is_empty(),
            "keys missing from the catalogues: {missing:#?}"
        );
        assert!(
            used.len() > 30,
            "the scan found too few keys: {}",
            used.len()
        );
    }

    #[test]
    fn arguments_and_plurals_are_filled_in() {
        let en = Tr::new(Lang::En);
        assert_eq!(en.with("owner-client", "id", "acme"), "Client acme");
        let mut args = FluentArgs::new();
        args.set("count", 1);
        args.set("tool", "Slack");
        assert_eq!(
            en.format_args("attention-missing-identity", &args),
            "One member has no Slack account yet."
        );
        args.set("count", 3);
        assert_eq!(
            en.format_args("attention-missing-identity", &args),
            "3 members have no Slack account yet."
        );
        assert_eq!(Tr::new(Lang::Ja).get("nav-home"), "ホーム");
        assert_eq!(en.get("no-such-key"), "⟦no-such-key⟧");
    }
}
