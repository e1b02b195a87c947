//! Robots that fetch a link to show a preview of it (chat tools' unfurlers, search and
//! document crawlers). Their GETs are nobody's reading, so they never count as views.

/// Lower-case pieces of the user agents that chat tools and crawlers send when they fetch
/// a link for a preview.
const PREVIEWERS: &[&str] = &[
    // Slack: "Slackbot-LinkExpanding 1.0", "Slackbot 1.0", "Slack-ImgProxy".
    "slackbot",
    "slack-imgproxy",
    // Microsoft Teams and Skype: "SkypeUriPreview Preview/0.5", "MicrosoftPreview/2.0".
    "skypeuripreview",
    "microsoftpreview",
    "teamsbot",
    // Google Chat and Docs: "Google-PageRenderer", "GoogleDocs; apps-…", crawlers.
    "googlebot",
    "google-pagerenderer",
    "googledocs",
    "google-docs",
    "feedfetcher-google",
    "google-safety",
    // Chatwork's link preview fetcher.
    "chatwork",
    // LINE ("facebookexternalhit/1.1;line-poker/1.0") and Facebook/Messenger/WhatsApp.
    "facebookexternalhit",
    "line-poker",
    "facebot",
    "whatsapp",
    // Others whose previews reach the same links.
    "twitterbot",
    "discordbot",
    "telegrambot",
    "linkedinbot",
    "embedly",
    "applebot",
    "bingbot",
    "bingpreview",
    "yahoo! slurp",
    "duckduckbot",
    "pinterestbot",
    "redditbot",
    "iframely",
    "bitlybot",
    "vkshare",
    "skypebot",
];

/// Whether a GET with this `User-Agent` is a preview fetch, not a person. A request without
/// one is not a browser either. People's in-app browsers (LINE's "Line/13.x", Teams' and
/// Slack's desktop apps) do not match: they open the link because someone tapped it.
pub fn is_link_previewer(user_agent: Option<&str>) -> bool {
    let Some(ua) = user_agent.map(str::trim).filter(|ua| !ua.is_empty()) else {
        return true;
    };
    let ua = ua.to_ascii_lowercase();
    PREVIEWERS.iter().any(|p| ua.contains(p))
}

#[cfg(test)]
mod tests {
    use super::is_link_previewer;

    #[test]
    fn chat_tools_link_previews_are_robots() {
        for ua in [
            "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
            "Slackbot 1.0 (+https://api.slack.com/robots)",
            "Slack-ImgProxy (+https://api.slack.com/robots)",
            "SkypeUriPreview Preview/0.5 skype-url-preview@microsoft.com",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/90.0 Safari/537.36 MicrosoftPreview/2.0 +https://aka.ms/MicrosoftPreview",
            "Mozilla/5.0 (compatible; Google-PageRenderer Google (+https://developers.google.com/+/web/snippet/))",
            "GoogleDocs; apps-spreadsheets; +http://docs.google.com",
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "facebookexternalhit/1.1;line-poker/1.0",
            "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
            "Twitterbot/1.0",
            "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
            "WhatsApp/2.23.20.0",
            "ChatWork LinkPreview",
            "",
            "   ",
        ] {
            assert!(is_link_previewer(Some(ua)), "{ua}");
        }
        assert!(is_link_previewer(None));
    }

    #[test]
    fn people_in_browsers_and_in_app_browsers_count() {
        for ua in [
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Safari Line/14.5.0",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Teams/24004.1403.2634.2418 Chrome/120.0 Electron/28.2.1 Safari/537.36",
        ] {
            assert!(!is_link_previewer(Some(ua)), "{ua}");
        }
    }
}
