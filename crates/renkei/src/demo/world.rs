//! The demo world as data: one labour-consultant office (社労士事務所, as in the Cells Drive
//! and ACALL seeds), its client companies (顧問先), its group tree and its people. The fake
//! providers' worlds ([`super::fakes`]) and the tenant seeded through the API
//! ([`super::seed`]) are both built from these tables, so they agree by construction.

use renkei_core::model::{DeliveryMode, Provider};

pub const TENANT_NAME: &str = "デモ社会保険労務士事務所";

/// The office's Chatwork token belongs to 所長 佐藤 (member `s01`) herself, as offices often
/// start out: mentions of her show no badge, and renkei warns about it (PRODUCT.md 16).
pub const OFFICE_CHATWORK_TOKEN: &str = "demo-office-chatwork-token";
pub const OFFICE_CHATWORK_ACCOUNT: i64 = 1001;
pub const OFFICE_OWNER_MEMBER: &str = "s01";

/// A client's place in Chatwork (Cells Drive levels 3 and 4).
#[derive(Clone, Copy)]
pub enum ClientChatwork {
    /// No room and no token: the client's notices have nowhere to go (shown as skipped).
    Nothing,
    /// A room the office's account was added to (level 3).
    Room(i64),
    /// A room the client made without adding the office's account: posts are refused
    /// (403), which is the demo's one failed delivery.
    RoomWithoutOffice(i64),
    /// The client saved its own token (level 4): notices land in its own My Chat.
    OwnToken {
        token: &'static str,
        account: i64,
        account_name: &'static str,
    },
}

pub struct Client {
    pub ext: &'static str,
    pub name: &'static str,
    pub chatwork: ClientChatwork,
}

use ClientChatwork::{Nothing, OwnToken, Room, RoomWithoutOffice};

#[rustfmt::skip]
pub const CLIENTS: &[Client] = &[
    client("c-sakura",   "株式会社さくら商事",       Room(7101)),
    client("c-midori",   "有限会社みどり工務店",     Room(7102)),
    client("c-aoba",     "株式会社あおば食品",       Room(7103)),
    client("c-hikari",   "医療法人ひかりクリニック", OwnToken {
        token: "demo-hikari-chatwork-token", account: 3004, account_name: "ひかりクリニック 事務局",
    }),
    client("c-tsubasa",  "株式会社つばさ運輸",       Room(7105)),
    client("c-komorebi", "合同会社こもれび",         Nothing),
    client("c-hayate",   "株式会社はやて精機",       Room(7107)),
    client("c-minato",   "株式会社みなと物流",       RoomWithoutOffice(7108)),
];

/// The client whose room refuses the office's posts.
pub const FAILING_CLIENT: &str = "c-minato";

const fn client(ext: &'static str, name: &'static str, chatwork: ClientChatwork) -> Client {
    Client {
        ext,
        name,
        chatwork,
    }
}

/// A group and its rooms; `None` inherits the nearest ancestor's room, and where no ancestor
/// has one, the tenant connection's room (ACALL's 総務 / 開発一課 / 営業一課 example).
pub struct Group {
    pub ext: &'static str,
    pub name: &'static str,
    pub parent: Option<&'static str>,
    pub chatwork_room: Option<i64>,
    pub slack_channel: Option<&'static str>,
    pub line_works_channel: Option<&'static str>,
}

#[rustfmt::skip]
pub const GROUPS: &[Group] = &[
    //    ext          name          parent           Chatwork    Slack               LINE WORKS
    group("honsha",    "本社",       None,            None,       None,               None),
    group("somu",      "総務部",     Some("honsha"),  Some(7201), Some("C0SOMU0001"), Some("lw-somu")),
    group("jinji",     "人事課",     Some("somu"),    None,       None,               None),
    group("romu",      "労務管理部", Some("honsha"),  Some(7202), Some("C0ROMU0001"), Some("lw-romu")),
    group("tetsuzuki", "手続き課",   Some("romu"),    None,       None,               None),
    group("kyuyo",     "給与計算課", Some("romu"),    Some(7203), Some("C0KYUYO001"), None),
    group("osaka",     "大阪支社",   Some("honsha"),  None,       None,               None),
    group("soudan",    "相談課",     Some("osaka"),   None,       None,               None),
];

const fn group(
    ext: &'static str,
    name: &'static str,
    parent: Option<&'static str>,
    chatwork_room: Option<i64>,
    slack_channel: Option<&'static str>,
    line_works_channel: Option<&'static str>,
) -> Group {
    Group {
        ext,
        name,
        parent,
        chatwork_room,
        slack_channel,
        line_works_channel,
    }
}

/// Where the tenant's Slack bot and LINE WORKS bot post when a group has no room of its own.
pub const SLACK_DEFAULT_CHANNEL: &str = "C0ZENTAI01";
pub const LINE_WORKS_DEFAULT_CHANNEL: &str = "lw-zentai";

/// A person. `tools` lists the chat tools the member is linked in (`cw sl lw tm gc ln`);
/// the IDs themselves are derived from the member's position ([`Member::identity`]).
pub struct Member {
    pub ext: &'static str,
    pub name: &'static str,
    /// Office staff belong to groups (primary first); clients' people to a client.
    pub groups: &'static [&'static str],
    pub client: Option<&'static str>,
    pub tools: &'static str,
}

const fn staff(
    ext: &'static str,
    name: &'static str,
    groups: &'static [&'static str],
    tools: &'static str,
) -> Member {
    Member {
        ext,
        name,
        groups,
        client: None,
        tools,
    }
}

const fn contact(
    ext: &'static str,
    name: &'static str,
    client: &'static str,
    tools: &'static str,
) -> Member {
    Member {
        ext,
        name,
        groups: &[],
        client: Some(client),
        tools,
    }
}

#[rustfmt::skip]
pub const MEMBERS: &[Member] = &[
    // Office staff: groups (primary first) and the tools they are linked in.
    staff(  "s01", "佐藤 恵子",  &["honsha"],           "cw sl lw tm gc"),
    staff(  "s02", "鈴木 一郎",  &["somu"],             "cw sl lw tm gc ln"),
    staff(  "s03", "高橋 美香",  &["somu"],             "cw sl lw tm"),
    staff(  "s04", "田中 美咲",  &["jinji", "somu"],    "cw sl lw tm gc"),
    staff(  "s05", "伊藤 健太",  &["jinji"],            "cw lw tm ln"),
    staff(  "s06", "渡辺 直子",  &["romu"],             "cw sl lw tm gc"),
    staff(  "s07", "山本 大輔",  &["romu", "osaka"],    "cw sl lw tm"),
    staff(  "s08", "中村 さくら", &["tetsuzuki"],        "cw sl lw tm ln"),
    staff(  "s09", "小林 翔太",  &["tetsuzuki"],        "cw lw tm"),
    staff(  "s10", "加藤 由美",  &["tetsuzuki"],        "sl lw tm gc"),
    staff(  "s11", "吉田 拓也",  &["kyuyo"],            "cw sl lw tm"),
    staff(  "s12", "山田 花子",  &["kyuyo"],            "cw sl lw tm gc ln"),
    staff(  "s13", "佐々木 亮",  &["kyuyo"],            "cw sl tm"),
    staff(  "s14", "山口 真理",  &["osaka"],            "cw sl lw tm"),
    staff(  "s15", "松本 剛",    &["soudan"],           "cw lw tm ln"),
    staff(  "s16", "井上 彩",    &["soudan"],           "cw sl lw tm gc"),
    staff(  "s17", "木村 誠",    &["soudan"],           "lw tm"),
    staff(  "s18", "林 香織",    &["honsha"],           "cw sl lw tm gc"),
    staff(  "s19", "斎藤 優",    &["somu"],             "cw sl lw tm"),
    staff(  "s20", "清水 陽子",  &["romu"],             "cw sl lw tm ln"),
    staff(  "s21", "山崎 浩二",  &["tetsuzuki"],        "cw sl tm"),
    staff(  "s22", "森 千尋",    &["kyuyo"],            "cw sl lw tm gc"),
    staff(  "s23", "池田 学",    &["osaka"],            "cw lw tm"),
    staff(  "s24", "橋本 奈々",  &["jinji"],            "cw sl lw tm ln"),
    // The clients' people: the client they work for, and their tools.
    contact("k01", "青木 俊",    "c-sakura",            "cw ln"),
    contact("k02", "藤田 恵美",  "c-sakura",            "cw"),
    contact("k03", "岡田 隆",    "c-midori",            "cw ln"),
    contact("k04", "後藤 舞",    "c-aoba",              "cw"),
    contact("k05", "長谷川 亮介", "c-aoba",              "ln"),
    contact("k06", "村上 智子",  "c-hikari",            "cw ln"),
    contact("k07", "近藤 修",    "c-tsubasa",           "cw ln"),
    contact("k08", "石井 真由美", "c-komorebi",          "ln"),
    contact("k09", "坂本 健",    "c-hayate",            "cw"),
    contact("k10", "遠藤 光",    "c-hayate",            ""),
    contact("k11", "青山 悟",    "c-minato",            "cw"),
    contact("k12", "西村 里奈",  "c-sakura",            "cw ln"),
    contact("k13", "福田 和也",  "c-tsubasa",           "cw"),
    contact("k14", "太田 麻衣",  "c-midori",            "ln"),
    contact("k15", "三浦 大樹",  "c-aoba",              "cw ln"),
    contact("k16", "藤井 陽菜",  "c-hayate",            "cw"),
];

/// 田中 (s04) also saved her own Slack incoming webhook (Save Point, PRODUCT.md 14): every
/// notice for her goes there as well.
pub const OWN_WEBHOOK_MEMBER: &str = "s04";
pub const OWN_WEBHOOK_CHANNEL: &str = "C0TANAKA01";
pub const OWN_WEBHOOK_PATH: &str = "/services/T0000FAKE1/B0TANAKA01/tanakawebhooksecret01";

/// The one LINE user who has not added the office's official account as a friend: LINE
/// accepts the push but does not deliver it.
pub const LINE_NOT_FRIEND: &str = "k08";

impl Member {
    /// 1-based position in [`MEMBERS`]: the source of every derived ID.
    fn number(&self) -> usize {
        MEMBERS
            .iter()
            .position(|m| m.ext == self.ext)
            .map_or(0, |i| i + 1)
    }

    pub fn uses(&self, provider: Provider) -> bool {
        self.tools.split_whitespace().any(|t| t == tag(provider))
    }

    pub fn email(&self) -> String {
        format!("{}@demo-sr.example", self.ext)
    }

    /// The member's ID in `provider`, when they are linked there.
    pub fn identity(&self, provider: Provider) -> Option<String> {
        if !self.uses(provider) {
            return None;
        }
        let n = self.number();
        Some(match provider {
            Provider::Chatwork => self.chatwork_account()?.to_string(),
            Provider::Slack => format!("U0DEMO{n:04}"),
            Provider::Teams | Provider::LineWorks => self.email(),
            Provider::GoogleChat => format!("users/10{n:07}"),
            Provider::Line => format!("U{:032x}", 0xde30_0000_u64 + n as u64),
        })
    }

    pub fn chatwork_account(&self) -> Option<i64> {
        if !self.uses(Provider::Chatwork) {
            return None;
        }
        Some(if self.ext == OFFICE_OWNER_MEMBER {
            OFFICE_CHATWORK_ACCOUNT
        } else {
            10_000 + self.number() as i64
        })
    }

    pub fn is_staff(&self) -> bool {
        self.client.is_none()
    }
}

fn tag(provider: Provider) -> &'static str {
    match provider {
        Provider::Chatwork => "cw",
        Provider::Slack => "sl",
        Provider::Teams => "tm",
        Provider::GoogleChat => "gc",
        Provider::LineWorks => "lw",
        Provider::Line => "ln",
    }
}

/// An event type and the tools the office switched on for it (WORKPLACE 通知管理); the
/// others are off by default.
pub struct EventType {
    pub key: &'static str,
    pub name: &'static str,
    pub delivery: DeliveryMode,
    pub tools: &'static [Provider],
    /// Cells Drive's confirmation link, in days.
    pub link_ttl_days: Option<i64>,
}

use Provider::{Chatwork, GoogleChat, Line, LineWorks, Slack, Teams};

#[rustfmt::skip]
pub const EVENT_TYPES: &[EventType] = &[
    //         key                   name                  delivery               tools on                                          link (days)
    event_type("file.uploaded",      "書類アップロード",   DeliveryMode::Room,   &[Chatwork],                                       Some(7)),
    event_type("document.requested", "書類提出のお願い",   DeliveryMode::Direct, &[Chatwork, Line],                                 None),
    event_type("visitor.arrived",    "来客",               DeliveryMode::Direct, &[Chatwork, Slack, LineWorks],                     None),
    event_type("task.assigned",      "タスク割り当て",     DeliveryMode::Both,   &[Chatwork, Slack, Teams],                         None),
    event_type("approval.requested", "承認依頼",           DeliveryMode::Direct, &[LineWorks, Slack],                               None),
    event_type("notice.published",   "事務所からのお知らせ", DeliveryMode::Room, &[Chatwork, Slack, Teams, GoogleChat, LineWorks],  None),
    event_type("survey.reminder",    "アンケートのお願い", DeliveryMode::Direct, &[Line, LineWorks],                                None),
];

const fn event_type(
    key: &'static str,
    name: &'static str,
    delivery: DeliveryMode,
    tools: &'static [Provider],
    link_ttl_days: Option<i64>,
) -> EventType {
    EventType {
        key,
        name,
        delivery,
        tools,
        link_ttl_days,
    }
}

pub fn client_name(ext: &str) -> &'static str {
    CLIENTS.iter().find(|c| c.ext == ext).map_or("", |c| c.name)
}

pub fn member(ext: &str) -> Option<&'static Member> {
    MEMBERS.iter().find(|m| m.ext == ext)
}
