//! The demo's event history: a few hundred events of every type, to clients, groups, members
//! and the whole office, generated from small tables of what a 社労士事務所 sends all day.
//! Deterministic (no randomness), and each event has an idempotency key, so seeding twice
//! never doubles the history.

use serde_json::{json, Value};

use super::world::{self, FAILING_CLIENT, MEMBERS, OFFICE_OWNER_MEMBER};

const DOCUMENTS: &[&str] = &[
    "給与データ 4月分.csv",
    "勤怠集計表 4月分.xlsx",
    "雇用契約書.pdf",
    "算定基礎届 添付資料.pdf",
    "入社手続き書類一式.zip",
    "退職届.pdf",
    "賞与支給明細.xlsx",
    "扶養控除等申告書.pdf",
];

const PROCEDURES: &[&str] = &[
    "社会保険の資格取得届",
    "雇用保険の離職票作成",
    "算定基礎届の作成",
    "月額変更届の確認",
    "36協定の更新",
    "就業規則の改定案",
    "労災申請の書類確認",
];

const VISITORS: &[&str] = &[
    "株式会社さくら商事 青木様",
    "有限会社みどり工務店 岡田様",
    "年金事務所 ご担当者様",
    "株式会社あおば食品 後藤様",
    "株式会社つばさ運輸 近藤様",
    "ハローワーク ご担当者様",
];

const PLACES: &[&str] = &["1階 受付", "応接室A", "会議室B"];

const APPROVALS: &[&str] = &["有給休暇", "経費精算", "出張", "時間外勤務", "備品購入"];

const NOTICES: &[(&str, &str)] = &[
    (
        "年末年始休業のお知らせ",
        "12月29日から1月3日まで休業します。",
    ),
    (
        "算定基礎届の提出期限",
        "7月10日が提出期限です。顧問先への依頼をお願いします。",
    ),
    (
        "健康診断のご案内",
        "今年度の定期健康診断の日程が決まりました。",
    ),
    (
        "就業規則改定のお知らせ",
        "4月1日から改定後の就業規則を適用します。",
    ),
    (
        "システムメンテナンスのお知らせ",
        "土曜日 22時から24時まで Cellsドライブを停止します。",
    ),
    (
        "ストレスチェック実施のお知らせ",
        "今月末までに回答をお願いします。",
    ),
];

const SURVEYS: &[&str] = &[
    "従業員満足度アンケート",
    "ストレスチェック",
    "研修の振り返りアンケート",
];

/// Where the office's notices go, in turn: everyone, and group rooms that are the group's
/// own, inherited from a parent, or the default room.
const NOTICE_TARGETS: &[&str] = &["tenant", "somu", "tetsuzuki", "soudan", "honsha", "kyuyo"];

/// Survey reminders go to whole groups (each member directly) and to single people.
const SURVEY_GROUPS: &[&str] = &["kyuyo", "jinji", "soudan"];

/// How many events of each kind; with the failing one, 283 in all.
const FILES: usize = 90;
const DOCUMENT_REQUESTS: usize = 40;
const VISITS: usize = 40;
const TASKS: usize = 30;
const APPROVAL_REQUESTS: usize = 40;
const NOTICE_COUNT: usize = 12;
const SURVEY_REMINDERS: usize = 30;

fn pick<T: Copy>(list: &[T], i: usize) -> T {
    list[i % list.len()]
}

fn event(kind: &str, to: Value, title: String, body: String) -> Value {
    json!({"type": kind, "to": to, "title": title, "body": body})
}

/// Every event of the demo, interleaved so the log mixes types as a real day would; the one
/// that fails comes early so it has failed by the time anyone looks.
pub fn all() -> Vec<Value> {
    let scenes = [
        files(),
        document_requests(),
        visits(),
        tasks(),
        approvals(),
        notices(),
        surveys(),
    ];
    let mut out = Vec::new();
    let longest = scenes.iter().map(Vec::len).max().unwrap_or(0);
    for i in 0..longest {
        for scene in &scenes {
            if let Some(e) = scene.get(i) {
                out.push(e.clone());
            }
        }
    }
    out.insert(2, failing_upload());
    for (i, e) in out.iter_mut().enumerate() {
        e["idempotency_key"] = json!(format!("demo-{:04}", i + 1));
    }
    out
}

/// A file from the client whose Chatwork room does not have the office's account in it.
fn failing_upload() -> Value {
    let mut e = event(
        "file.uploaded",
        json!({"clients": [FAILING_CLIENT]}),
        format!("{}から書類が届きました", world::client_name(FAILING_CLIENT)),
        "雇用契約書 4月入社分.pdf".into(),
    );
    e["url"] = json!("https://drive.example.jp/files/minato-1");
    e
}

fn files() -> Vec<Value> {
    let clients: Vec<_> = world::CLIENTS
        .iter()
        .filter(|c| c.ext != FAILING_CLIENT)
        .collect();
    (0..FILES)
        .map(|i| {
            let c = pick(&clients, i);
            let mut e = event(
                "file.uploaded",
                json!({"clients": [c.ext]}),
                format!("{}から書類が届きました", c.name),
                pick(DOCUMENTS, i / clients.len()).into(),
            );
            e["url"] = json!(format!("https://drive.example.jp/files/{}", i + 1));
            e
        })
        .collect()
}

fn document_requests() -> Vec<Value> {
    let people: Vec<_> = MEMBERS.iter().filter(|m| !m.is_staff()).collect();
    (0..DOCUMENT_REQUESTS)
        .map(|i| {
            let m = pick(&people, i);
            event(
                "document.requested",
                json!({"members": [m.ext]}),
                format!("{}のご提出をお願いします", pick(DOCUMENTS, i + 3)),
                format!(
                    "{}様 {}月{}日までに Cellsドライブへアップロードしてください。",
                    m.name,
                    5 + i % 3,
                    10 + i % 15
                ),
            )
        })
        .collect()
}

/// Staff the office's Chatwork account can message directly (not 所長 herself).
fn staff_for_direct() -> Vec<&'static world::Member> {
    MEMBERS
        .iter()
        .filter(|m| m.is_staff() && m.ext != OFFICE_OWNER_MEMBER)
        .collect()
}

fn visits() -> Vec<Value> {
    let hosts = staff_for_direct();
    (0..VISITS)
        .map(|i| {
            let host = pick(&hosts, i * 7);
            event(
                "visitor.arrived",
                json!({"members": [host.ext]}),
                format!("{}がお見えです", pick(VISITORS, i)),
                format!("{} / {}:{:02}", pick(PLACES, i), 9 + i % 9, (i * 13) % 60),
            )
        })
        .collect()
}

fn tasks() -> Vec<Value> {
    let staff = staff_for_direct();
    (0..TASKS)
        .map(|i| {
            let who = pick(&staff, i * 5 + 1);
            let client = &world::CLIENTS[i % world::CLIENTS.len()];
            event(
                "task.assigned",
                json!({"members": [who.ext]}),
                format!("{}：{}", client.name, pick(PROCEDURES, i)),
                format!(
                    "担当：{} / 期限：{}月{}日",
                    who.name,
                    5 + i % 2,
                    1 + (i * 3) % 28
                ),
            )
        })
        .collect()
}

fn approvals() -> Vec<Value> {
    let staff: Vec<_> = MEMBERS.iter().filter(|m| m.is_staff()).collect();
    (0..APPROVAL_REQUESTS)
        .map(|i| {
            let approver = pick(&staff, i * 11);
            let applicant = pick(&staff, i * 11 + 5);
            event(
                "approval.requested",
                json!({"members": [approver.ext]}),
                format!("{}さんから{}の申請", applicant.name, pick(APPROVALS, i)),
                "ワークフローで内容を確認し、承認または差し戻してください。".into(),
            )
        })
        .collect()
}

fn notices() -> Vec<Value> {
    (0..NOTICE_COUNT)
        .map(|i| {
            let (title, body) = pick(NOTICES, i);
            let to = match pick(NOTICE_TARGETS, i) {
                "tenant" => json!({"tenant": true}),
                group => json!({"groups": [group]}),
            };
            event("notice.published", to, title.into(), body.into())
        })
        .collect()
}

fn surveys() -> Vec<Value> {
    let staff: Vec<_> = MEMBERS.iter().filter(|m| m.is_staff()).collect();
    (0..SURVEY_REMINDERS)
        .map(|i| {
            let to = if i % 5 == 0 {
                json!({"groups": [pick(SURVEY_GROUPS, i / 5)]})
            } else {
                json!({"members": [pick(&staff, i * 3).ext]})
            };
            let survey = pick(SURVEYS, i);
            event(
                "survey.reminder",
                to,
                format!("{survey}へのご回答のお願い"),
                "回答期限は今週金曜日です。".into(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exactly_one_event_targets_the_failing_client_and_keys_are_unique() {
        let all = all();
        let failing = all
            .iter()
            .filter(|e| e["to"]["clients"][0] == FAILING_CLIENT)
            .count();
        assert_eq!(failing, 1);
        let keys: std::collections::HashSet<_> =
            all.iter().map(|e| e["idempotency_key"].clone()).collect();
        assert_eq!(keys.len(), all.len());
        assert!(all.len() >= 250, "a few hundred events: {}", all.len());
    }

    #[test]
    fn no_direct_chatwork_notice_goes_to_the_token_owner() {
        // The office's account cannot DM itself: such a delivery would fail as well.
        use renkei_core::model::{DeliveryMode, Provider};
        for e in all() {
            let direct_chatwork = world::EVENT_TYPES.iter().any(|t| {
                e["type"] == t.key
                    && t.delivery != DeliveryMode::Room
                    && t.tools.contains(&Provider::Chatwork)
            });
            if direct_chatwork {
                assert_ne!(e["to"]["members"][0], OFFICE_OWNER_MEMBER, "{e}");
            }
        }
    }
}
