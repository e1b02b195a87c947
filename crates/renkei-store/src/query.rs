//! Building a query whose filters are optional: the SQL text grows with each filter given,
//! and each value is bound, never spliced.

use sqlx::any::{Any, AnyArguments};
use sqlx::query::Query;

pub(crate) enum Arg {
    Int(i64),
    Text(String),
}

pub(crate) struct Sql {
    pub text: String,
    args: Vec<Arg>,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Sql {
            text: text.to_string(),
            args: Vec::new(),
        }
    }

    /// Binds a value and returns its placeholder (`$n`).
    pub fn arg(&mut self, a: Arg) -> String {
        self.args.push(a);
        format!("${}", self.args.len())
    }

    pub fn int(&mut self, v: i64) -> String {
        self.arg(Arg::Int(v))
    }

    pub fn text(&mut self, v: impl Into<String>) -> String {
        self.arg(Arg::Text(v.into()))
    }

    pub fn push(&mut self, s: &str) -> &mut Self {
        self.text.push_str(s);
        self
    }

    pub fn query(&self) -> Query<'_, Any, AnyArguments<'_>> {
        let mut q = sqlx::query(&self.text);
        for a in &self.args {
            q = match a {
                Arg::Int(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.as_str()),
            };
        }
        q
    }
}

/// A `LIKE` pattern matching `needle` anywhere, lower-cased (compare with `LOWER(col)`),
/// with `%`, `_` and `\` taken literally (`ESCAPE '\'`).
pub(crate) fn contains_pattern(needle: &str) -> String {
    let mut p = String::with_capacity(needle.len() + 2);
    p.push('%');
    for ch in needle.to_lowercase().chars() {
        if matches!(ch, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(ch);
    }
    p.push('%');
    p
}

#[cfg(test)]
mod tests {
    #[test]
    fn patterns_take_wildcards_literally() {
        assert_eq!(super::contains_pattern("Ab_1%"), "%ab\\_1\\%%");
        assert_eq!(super::contains_pattern("営業"), "%営業%");
    }
}
