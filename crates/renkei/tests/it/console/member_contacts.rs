//! Picking a member's Chatwork account from the office connection's contacts (HiManager
//! scenario 22).

use reqwest::StatusCode;
use serde_json::json;

use super::browser::Browser;
use super::clients::{office, put_ok};
use super::members::member;
use crate::helpers::{Backend, TestApp};

async fn a_chatwork_account_is_picked_from_the_contacts(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    put_ok(&app, "/api/v1/members/yamada", json!({"name": "山田 太郎"})).await;
    put_ok(
        &app,
        "/api/v1/members/sato",
        json!({"name": "佐藤 花子", "identities": {"chatwork": {"account_id": "2002"}}}),
    )
    .await;
    let mut browser = Browser::signed_in(&app).await;
    let contacts = "/console/members/yamada/chatwork-contacts";
    let none = browser.open(contacts).await;
    assert_eq!(none.status, StatusCode::OK);
    none.assert_has("事務所の Chatwork 連携がないため、コンタクトを表示できません。");

    office(&app).await;
    app.fake().add_person(2001, "山田太郎");
    app.fake().add_person(2002, "佐藤花子");
    app.fake().add_contact(10, 2001);
    app.fake().add_contact(10, 2002);
    let list = browser.open(contacts).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.html);
    list.assert_has("コンタクト（2人）");
    list.assert_has("<input type=\"radio\" name=\"account_id\" value=\"2001\">");
    list.assert_has("設定済み: 佐藤 花子");
    let empty = browser.submit(contacts, contacts, &[]).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    empty.assert_has("アカウントを1つ選んでください。");
    let picked = browser
        .submit(contacts, contacts, &[("account_id", "2001")])
        .await;
    assert_eq!(picked.status, StatusCode::SEE_OTHER, "{}", picked.html);
    assert_eq!(
        member(&app, "yamada").await["identities"],
        json!({"chatwork": "2001"})
    );
    browser
        .open(contacts)
        .await
        .assert_has("value=\"2001\" checked");
    browser
        .open("/console/audit")
        .await
        .assert_has("(from contacts)");
    let refused = browser.post_raw(contacts, &[("account_id", "2002")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        member(&app, "yamada").await["identities"]["chatwork"],
        "2001"
    );
}

crate::on_both_backends!(a_chatwork_account_is_picked_from_the_contacts);
