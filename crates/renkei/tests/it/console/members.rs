//! Member pages: search, filters and paging; a member's identities pasted in any form; group
//! order with the primary first; warnings; deleting a member. (Picking from Chatwork contacts:
//! member_contacts.rs; the CSV import: member_import.rs.)

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::browser::Browser;
use super::bulk::other_tenant;
use super::clients::{office, put_ok};
use crate::helpers::{Backend, TestApp};

pub(super) async fn member(app: &TestApp, ext: &str) -> Value {
    let (s, v) = app.get(&format!("/api/v1/members/{ext}")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

/// Rows of the member table on a page.
fn rows(html: &str) -> usize {
    html.matches("<td><a href=\"/console/members/").count()
}

async fn members_are_searched_filtered_and_paged(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    put_ok(&app, "/api/v1/groups/soumu", json!({"name": "総務部"})).await;
    put_ok(&app, "/api/v1/clients/aoba", json!({"name": "あおば食品"})).await;
    for i in 1..=55 {
        let mut body = json!({"name": format!("職員 {i:02}")});
        if i % 5 == 0 {
            body["groups"] = json!(["soumu"]);
        }
        if i % 7 == 0 {
            body["client"] = json!("aoba");
        }
        if i % 2 == 0 {
            body["identities"] = json!({"chatwork": {"account_id": format!("{}", 2000 + i)}});
        }
        put_ok(&app, &format!("/api/v1/members/m{i:02}"), body).await;
    }
    let mut browser = Browser::signed_in(&app).await;
    let first = browser.open("/console/members").await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.html);
    assert_eq!(rows(&first.html), 50);
    first.assert_has("<span class=\"tool\">Chatwork</span> 2002");
    first.assert_has("総務部 <span class=\"primary-mark\">主所属</span>");
    first.assert_has("<a href=\"/console/clients/aoba\">あおば食品</a>");
    first.assert_has("href=\"/console/members?after=m50\">次の50件");
    let next = browser.open("/console/members?after=m50").await;
    assert_eq!(rows(&next.html), 5);
    next.assert_has("職員 55");
    next.assert_has("href=\"/console/members\">最初のページへ");

    let found = browser
        .open("/console/members?q=%E8%81%B7%E5%93%A1+07")
        .await;
    assert_eq!(rows(&found.html), 1, "{}", found.html);
    found.assert_has("職員 07");
    let in_group = browser.open("/console/members?group=soumu").await;
    assert_eq!(rows(&in_group.html), 11);
    in_group.assert_has("<option value=\"soumu\" selected>");
    let of_client = browser
        .open("/console/members?client=aoba&missing_identity=chatwork")
        .await;
    // 7, 21, 35, 49 are odd multiples of 7: no Chatwork account.
    assert_eq!(rows(&of_client.html), 4, "{}", of_client.html);
    of_client.assert_has("職員 21");
    // The home page's attention link lands on this filter.
    let missing = browser
        .open("/console/members?missing_identity=chatwork")
        .await;
    assert_eq!(rows(&missing.html), 28);
    missing
        .assert_has("<option value=\"chatwork\" selected>Chatwork のアカウントが未設定</option>");
    let paged = browser
        .open("/console/members?missing_identity=chatwork&after=m49")
        .await;
    assert_eq!(rows(&paged.html), 3, "the filter holds on the next page");
    let unknown = browser.open("/console/members?group=ghost").await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    unknown.assert_has("id=\"filter-group-error\"");
    unknown.assert_has("この ID のグループは登録されていません");
    browser.accept_language = "en".into();
    let en = browser.open("/console/members").await;
    en.assert_has("<h1>Members</h1>");
    en.assert_has("primary");
    browser.accept_language = "ja".into();

    let added = browser
        .submit(
            "/console/members",
            "/console/members",
            &[
                ("ext", "new1"),
                ("name", "新人 一郎"),
                ("email", "new1@example.jp"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.html);
    assert_eq!(
        added.location(),
        Some("/console/members/new1?flash=dir-member-created")
    );
    assert_eq!(member(&app, "new1").await["email"], "new1@example.jp");
    let bad = browser
        .submit(
            "/console/members",
            "/console/members",
            &[
                ("ext", "new2"),
                ("name", "新人 二郎"),
                ("email", "not mail"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    bad.assert_has("id=\"new-email-error\"");
    bad.assert_has("value=\"新人 二郎\"");
    assert_eq!(
        app.get("/api/v1/members/new2").await.0,
        StatusCode::NOT_FOUND
    );
}

async fn a_members_identities_groups_and_warnings(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    office(&app).await;
    put_ok(&app, "/api/v1/clients/aoba", json!({"name": "あおば食品"})).await;
    for (ext, name) in [("a", "総務部"), ("b", "開発部"), ("c", "営業部")] {
        put_ok(
            &app,
            &format!("/api/v1/groups/{ext}"),
            json!({"name": name}),
        )
        .await;
    }
    put_ok(
        &app,
        "/api/v1/members/yamada",
        json!({"name": "山田 太郎", "groups": ["a", "b"]}),
    )
    .await;
    let mut browser = Browser::signed_in(&app).await;
    let page = "/console/members/yamada";
    let shown = browser.open(page).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.html);
    shown.assert_has("Chatwork のアカウントが未設定のため");
    shown.assert_has("総務部 <code>a</code> <span class=\"primary-mark\">主所属</span>");
    shown.assert_has("href=\"/console/members/yamada/chatwork-contacts\"");

    let saved = browser
        .submit(
            page,
            page,
            &[
                ("name", "山田 太郎"),
                ("email", "yamada@example.jp"),
                ("client", "aoba"),
                ("identity_chatwork", "[To:2001] 山田さん"),
                ("identity_slack", "<@U0123ABCD>"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let m = member(&app, "yamada").await;
    assert_eq!(
        m["identities"],
        json!({"chatwork": "2001", "slack": "U0123ABCD"})
    );
    assert_eq!(
        (m["client"].as_str(), &m["groups"]),
        (Some("aoba"), &json!(["a", "b"]))
    );
    let shown = browser.open(saved.location().unwrap()).await;
    shown.assert_has("設定を保存しました。");
    assert!(
        !shown.html.contains("Chatwork のアカウントが未設定"),
        "the warning stayed"
    );

    // The office's own account as the member's: Chatwork would show no badge.
    let self_mention = browser
        .submit(
            page,
            page,
            &[("name", "山田 太郎"), ("identity_chatwork", "aid=10")],
        )
        .await;
    assert_eq!(self_mention.status, StatusCode::SEE_OTHER);
    browser
        .open(page)
        .await
        .assert_has("事務所の連携（account 10）が投稿に使っているアカウントと同じです");

    for (field, value, error_id, says) in [
        (
            "identity_slack",
            "yamada",
            "identity-slack-error",
            "「yamada」は Slack のメンバー ID として読み取れません",
        ),
        (
            "identity_chatwork",
            "rid123",
            "identity-chatwork-error",
            "「rid123」は Chatwork のアカウント ID として読み取れません",
        ),
        (
            "email",
            "yamada@",
            "email-error",
            "メールアドレスの形式が正しくありません",
        ),
        (
            "client",
            "ghost",
            "client-error",
            "この ID の顧問先は登録されていません",
        ),
    ] {
        let mut fields = vec![("name", "山田 太郎"), ("identity_chatwork", "10")];
        fields.retain(|(k, _)| *k != field);
        fields.push((field, value));
        let bad = browser.submit(page, page, &fields).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        bad.assert_has(&format!("id=\"{error_id}\""));
        bad.assert_has(says);
        if field != "client" {
            bad.assert_has(&format!("value=\"{value}\""));
        }
    }
    assert_eq!(member(&app, "yamada").await["identities"]["chatwork"], "10");

    // Group order: the first is the primary one.
    let groups = "/console/members/yamada/groups";
    let down = browser
        .submit(page, groups, &[("op", "down"), ("group", "a")])
        .await;
    assert_eq!(down.status, StatusCode::SEE_OTHER, "{}", down.html);
    assert_eq!(member(&app, "yamada").await["groups"], json!(["b", "a"]));
    browser
        .open(page)
        .await
        .assert_has("開発部 <code>b</code> <span class=\"primary-mark\">主所属</span>");
    browser
        .submit(page, groups, &[("op", "add"), ("group", "c")])
        .await;
    browser
        .submit(page, groups, &[("op", "remove"), ("group", "a")])
        .await;
    browser
        .submit(page, groups, &[("op", "up"), ("group", "c")])
        .await;
    assert_eq!(member(&app, "yamada").await["groups"], json!(["c", "b"]));
    let unknown = browser
        .submit(page, groups, &[("op", "add"), ("group", "ghost")])
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    unknown.assert_has("この ID のグループは登録されていません");
    let audit = browser.open("/console/audit").await;
    audit.assert_has("member.update");
    audit.assert_has("chatwork none → 2001");
    audit.assert_has("member.groups");
    audit.assert_has("groups a, b → b, a");

    let refused = browser.post_raw(page, &[("name", "乗っ取り")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let refused = browser
        .post_raw(groups, &[("op", "remove"), ("group", "b")])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let (mut other, _) = other_tenant(&app).await;
    for path in [
        page,
        "/console/members/yamada/chatwork-contacts",
        "/console/members/yamada/delete",
    ] {
        assert_eq!(
            other.open(path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    for (action, fields) in [
        (page, vec![("name", "乗っ取り")]),
        (groups, vec![("op", "remove"), ("group", "b")]),
        (
            "/console/members/yamada/chatwork-contacts",
            vec![("account_id", "99")],
        ),
        ("/console/members/yamada/delete", vec![]),
    ] {
        let theirs = other.submit("/console/members", action, &fields).await;
        assert_eq!(theirs.status, StatusCode::NOT_FOUND, "{action}");
    }
    let m = member(&app, "yamada").await;
    assert_eq!(
        (m["name"].as_str(), &m["groups"]),
        (Some("山田 太郎"), &json!(["c", "b"]))
    );
}

async fn deleting_a_member_says_what_it_cancelled(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    put_ok(&app, "/api/v1/members/yamada", json!({"name": "山田 太郎"})).await;
    let own_chat = app.fake().add_account("yamada-own", 30, "山田");
    let own = app
        .connect("yamada-own", 30, json!({"member": "yamada"}), None)
        .await;
    app.fake()
        .fail_next_on(&format!("/rooms/{own_chat}/"), 1_000_000, 500);
    let waiting = app
        .send(json!({"type": "t", "to": {"members": ["yamada"]}, "title": "waiting"}))
        .await;
    // (The member has no group, so no room delivery: only their own connection's.)
    app.wait_event(waiting, Duration::from_secs(10), |ev| {
        ev["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["status"] == "pending" && !d["attempts"].as_array().unwrap().is_empty())
    })
    .await;
    let mut browser = Browser::signed_in(&app).await;
    let confirm = browser.open("/console/members/yamada/delete").await;
    assert_eq!(confirm.status, StatusCode::OK);
    confirm.assert_has("「山田 太郎」を削除しますか？");
    confirm.assert_has("このメンバー専用の連携 1 件も削除され");

    // Absences mirrored into a calendar stop the deletion (the API's 409).
    let pool = app.raw_pool().await;
    sqlx::query(
        "INSERT INTO absences (tenant_id, member_id, external_id, calendar_event_id, calendar_user, summary, starts, ends, all_day, created_at, updated_at) \
         SELECT tenant_id, id, 'trip', 'cal-1', 'yamada@works', '出張', '2025-04-01', '2025-04-02', 1, 0, 0 FROM members WHERE external_id = 'yamada'",
    )
    .execute(&pool)
    .await
    .unwrap();
    let action = "/console/members/yamada/delete";
    let blocked = browser.submit(action, action, &[]).await;
    assert_eq!(blocked.status, StatusCode::CONFLICT);
    blocked.assert_has("不在予定があるため、削除できません");
    sqlx::query("DELETE FROM absences")
        .execute(&pool)
        .await
        .unwrap();

    let done = browser.submit(action, action, &[]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    browser.open(done.location().unwrap()).await.assert_has(
        "メンバー「山田 太郎」を削除しました。送信待ちの通知 1 件を取り消し、メンバー専用の連携 1 件を削除しました。",
    );
    assert_eq!(
        app.get("/api/v1/members/yamada").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("/api/v1/connections/{}", own["id"]))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let ev = app.get(&format!("/api/v1/events/{waiting}")).await.1;
    let through_own = ev["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["connection_id"] == own["id"])
        .unwrap_or_else(|| panic!("no delivery through the own connection: {ev:#}"));
    assert_eq!(through_own["status"], "cancelled", "{ev:#}");
    browser
        .open("/console/audit")
        .await
        .assert_has("member.delete");
}

crate::on_both_backends!(
    members_are_searched_filtered_and_paged,
    a_members_identities_groups_and_warnings,
    deleting_a_member_says_what_it_cancelled,
);
