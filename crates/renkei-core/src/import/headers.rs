//! Finding the account ID, name and e-mail columns in the export's header row.
//!
//! Chatwork's Japanese export says `識別ID`, the English one `accountID`; the other column
//! names vary by plan and by whoever edited the file in Excel, so name and e-mail are found
//! liberally. `ChatworkID` / `chatwork_id` is the user-chosen handle, not the numeric account
//! ID, so no rule here ever picks it.

/// The account ID headers we accept, as shown to users when none is found.
pub(super) const ACCEPTED_ACCOUNT_HEADERS: [&str; 2] = ["識別ID", "accountID"];

// All lists are in `normalise`d form.
const ACCOUNT: [&str; 2] = ["識別id", "accountid"];
const NAME: [&str; 5] = ["名前", "氏名", "ユーザー名", "name", "username"];
const EMAIL: [&str; 6] = [
    "メールアドレス",
    "ログインメールアドレス",
    "email",
    "mailaddress",
    "loginemail",
    "メール",
];
// Headers that contain "名"/"name" but name something other than the person.
const NOT_A_PERSON: [&str; 7] = [
    "chatwork",
    "組織",
    "会社",
    "部署",
    "organization",
    "company",
    "department",
];

/// Column indexes of the fields we read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Columns {
    pub account: usize,
    pub name: Option<usize>,
    pub email: Option<usize>,
}

/// Case-insensitive, ignoring spaces, `_` and `-` (so `E-mail`, `Mail address`, `account_id`
/// all match), and a stray BOM that a re-saved file may carry into the first header.
fn normalise(header: &str) -> String {
    header
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '_' | '-' | '\u{feff}'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// `None` when there is no account ID column: without it the file is useless.
pub(super) fn detect(headers: &[String]) -> Option<Columns> {
    let norm: Vec<String> = headers.iter().map(|h| normalise(h)).collect();
    let exact = |list: &[&str], taken: &[Option<usize>]| {
        norm.iter()
            .enumerate()
            .find(|(i, h)| list.contains(&h.as_str()) && !taken.contains(&Some(*i)))
            .map(|(i, _)| i)
    };
    // Fallback: first header containing a keyword, skipping columns already chosen.
    let containing = |keys: &[&str], taken: &[Option<usize>]| {
        norm.iter()
            .enumerate()
            .find(|(i, h)| {
                keys.iter().any(|k| h.contains(k))
                    && !NOT_A_PERSON.iter().any(|x| h.contains(x))
                    && !taken.contains(&Some(*i))
            })
            .map(|(i, _)| i)
    };

    let account = exact(&ACCOUNT, &[])?;
    let email = exact(&EMAIL, &[Some(account)])
        .or_else(|| containing(&["メール", "mail"], &[Some(account)]));
    let name = exact(&NAME, &[Some(account), email])
        .or_else(|| containing(&["名", "name"], &[Some(account), email]));
    Some(Columns {
        account,
        name,
        email,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(headers: &[&str]) -> Option<Columns> {
        detect(&headers.iter().map(|h| h.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn exact_headers_in_both_languages() {
        let ja = cols(&["ChatworkID", "識別ID", "名前", "メールアドレス"]).unwrap();
        assert_eq!((ja.account, ja.name, ja.email), (1, Some(2), Some(3)));
        let en = cols(&["Email", " AccountId ", "User name"]).unwrap();
        assert_eq!((en.account, en.name, en.email), (1, Some(2), Some(0)));
    }

    #[test]
    fn chatwork_handle_is_never_the_account_or_the_name() {
        assert_eq!(cols(&["ChatworkID", "名前"]), None);
        assert_eq!(cols(&["chatwork_id", "Name"]), None);
        let c = cols(&["accountID", "Chatwork name", "Mail"]).unwrap();
        assert_eq!((c.name, c.email), (None, Some(2)));
    }

    #[test]
    fn liberal_fallbacks_skip_organisation_names() {
        let c = cols(&[
            "accountID",
            "Organization name",
            "Display name",
            "Work mail",
        ])
        .unwrap();
        assert_eq!((c.name, c.email), (Some(2), Some(3)));
        let c = cols(&["識別ID", "組織名", "表示名", "連絡先メール"]).unwrap();
        assert_eq!((c.name, c.email), (Some(2), Some(3)));
        // An exact match wins over an earlier fuzzy one.
        let c = cols(&["識別ID", "表示名", "氏名"]).unwrap();
        assert_eq!(c.name, Some(2));
    }
}
