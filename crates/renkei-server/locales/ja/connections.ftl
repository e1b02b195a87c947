# 連携（接続の一覧・接続フォーム・接続ごとの画面・Chatwork OAuth）

## 一覧
conn-list-title = 連携
conn-list-intro = 通知を送るチャットツールとの接続です。事務所全体の接続のほか、顧問先やメンバーが自分のアカウントで接続したものも表示されます。
conn-list-connected = 接続済みのツール
conn-list-empty = まだ接続しているツールはありません。下から接続するツールを選んでください。
conn-col-room = 送信先ルーム
conn-list-warnings = { $count } 件の注意があります
conn-list-connect = ツールを接続する
conn-list-connect-hint = 接続すると、入力した内容が正しいかどうかをそのツールに問い合わせて確認してから保存します。
conn-connect-tool = { $tool } を接続する
conn-oauth-link = OAuth で連携する
conn-back-to-list = 連携の一覧に戻る
conn-back-to-connection = 接続の画面に戻る
conn-room-my-chat = マイチャット（ルーム { $room }）
conn-room-webhook = Webhook を作成したチャンネル
conn-room-line = 友だち追加したメンバー個人
conn-room-none = 未設定（グループや顧問先のルームに送ります）
conn-room-id = ルーム { $room }
conn-not-found-title = 接続が見つかりません
conn-not-found-body = この接続は存在しないか、すでに解除されています。
conn-failed-title = 処理できませんでした

## ツールごとの紹介
conn-intro-chatwork = API トークンで、マイチャットや指定したルームに通知を送ります。OAuth で連携することもできます。
conn-intro-slack = Incoming Webhook または Bot トークンで、Slack のチャンネルに通知を送ります。
conn-intro-teams = ワークフローの Webhook で、Microsoft Teams のチャネルに通知を送ります。
conn-intro-google_chat = Webhook で、Google Chat のスペースに通知を送ります。
conn-intro-line_works = Bot（API 2.0）で、メンバー個人やトークルームに通知を送ります。
conn-intro-line = LINE 公式アカウント（Messaging API）で、友だち追加したメンバーに通知を送ります。

## 接続フォーム
conn-new-title = { $tool } を接続
conn-steps-title = 設定の手順
conn-open-provider = { $tool } の設定画面を開く（新しいタブ）
conn-form-title = 接続の設定
conn-verify-note = 「接続する」を押すと、入力した内容で接続できるかをツールに確認してから保存します。トークンなどの秘密の値は、保存後は末尾 4 文字しか表示されません。
conn-connect-button = 接続する
conn-cancel = キャンセル
conn-optional = （任意）
conn-required = { $field }を入力してください。
conn-slack-one-of = Webhook URL か Bot トークンのどちらか一方を入力してください。
conn-owner-legend = この接続の持ち主
conn-owner-hint = 事務所全体の通知に使う接続は「事務所（全体）」を選びます。顧問先やメンバーが自分のアカウントで受け取る場合は、その顧問先・メンバーを選びます。
conn-owner-tenant = 事務所（全体）
conn-owner-client = 顧問先
conn-owner-member = メンバー
conn-label-owner-id = 顧問先・メンバーの外部 ID
conn-owner-id-hint = 顧問先またはメンバーを選んだときに、業務システムでの ID（外部 ID）を入力します。
conn-owner-id-missing-client = 顧問先の外部 ID を入力してください。
conn-owner-id-missing-member = メンバーの外部 ID を入力してください。
conn-line-callback = LINE ログインのコールバック URL
conn-line-callback-hint = LINE ログインチャネルの「LINE ログイン設定」タブ →「コールバック URL」に、この URL を登録してください。

## 入力欄の名前
conn-label-api_token = API トークン
conn-label-webhook_url = Webhook URL
conn-label-bot_token = Bot トークン
conn-label-client_id = クライアント ID（Client ID）
conn-label-client_secret = クライアントシークレット（Client Secret）
conn-label-service_account = サービスアカウント（Service Account）
conn-label-private_key = 秘密鍵（Private Key）
conn-label-bot_id = Bot ID
conn-label-bot_secret = Bot Secret
conn-label-channel_access_token = チャネルアクセストークン（長期）
conn-label-channel_secret = チャネルシークレット
conn-label-login_channel_id = LINE ログインのチャネル ID
conn-label-login_channel_secret = LINE ログインのチャネルシークレット
conn-label-room = 送信先ルーム

## Chatwork
conn-steps-chatwork-1 = 通知を送る Chatwork アカウントでログインします。通知専用のアカウントを用意することをおすすめします（下の注意をご覧ください）。
conn-steps-chatwork-2 = 画面右上の利用者名をクリックし、「サービス連携」を開きます。
conn-steps-chatwork-3 = 左のメニューから「API Token」を選び、パスワードを入力して「表示」をクリックします。
conn-steps-chatwork-4 = 表示された API トークンをコピーし、下の「API トークン」に貼り付けます。
conn-steps-chatwork-5 = マイチャット以外のルームに送る場合は、そのルームを開いたときのブラウザの URL（例: https://www.chatwork.com/#!rid123456789）を「送信先ルーム」に貼り付けます。ルーム ID は「#!rid」の後の数字です。送信に使うアカウントを、そのルームのメンバーに追加しておいてください。
conn-note-chatwork-1 = ご注意: 自分のアカウントで発行した API トークンを使うと、自分宛てのメンションには Chatwork の仕様で通知バッジが付きません。通知専用のアカウントを作ってそのトークンを使い、通知を受け取る人とコンタクトになっておくと、バッジが表示され見落としにくくなります。
conn-note-chatwork-2 = 送信先ルームを指定しない場合、通知は API トークンの持ち主のマイチャットに届きます。
conn-hint-chatwork-api_token = Chatwork の「サービス連携 → API Token」に表示される英数字です。途中で切れないよう、すべてコピーしてください。
conn-hint-chatwork-room = ルーム ID（数字）、ルームの URL（#!rid の後の数字）、メッセージのリンクのどれを貼り付けてもかまいません。空欄の場合はマイチャットに送ります。

## Slack
conn-steps-slack-1 = 通知を送るチャンネルを決めます。
conn-steps-slack-2 = Incoming Webhook を使う場合: Slack のアプリ管理画面でアプリを作成し、「Incoming Webhooks」を有効にして「Add New Webhook to Workspace」から投稿先のチャンネルを選びます。表示された Webhook URL（https://hooks.slack.com/services/…）をコピーします。
conn-steps-slack-3 = Bot トークンを使う場合: 同じ画面の「OAuth & Permissions」で Bot Token Scopes に chat:write を追加してワークスペースにインストールし、Bot User OAuth Token（xoxb-…）をコピーします。投稿先のチャンネルに Bot を招待し、そのチャンネルを「送信先ルーム」に入力します。
conn-steps-slack-4 = Webhook URL か Bot トークンの、どちらか一方を貼り付けます。
conn-note-slack-1 = メンバーにメンションや DM を送るには、メンバーごとに Slack のメンバー ID を登録します。メンバー ID は、Slack でその人のプロフィールを開き「⋮（その他）→ メンバーIDをコピー」で確認できます。
conn-note-slack-2 = Webhook の投稿先チャンネルは固定です。チャンネルごとに Webhook を作るか、Bot トークンを使ってください。
conn-hint-slack-webhook_url = https://hooks.slack.com/services/ で始まる URL です。保存後は表示されません。
conn-hint-slack-bot_token = xoxb- で始まるトークンです（chat:write の権限が必要です）。保存後は表示されません。
conn-hint-slack-room = Bot トークンを使う場合の投稿先です。チャンネル ID（C で始まる）か、チャンネルのリンクを貼り付けてください。Webhook の場合は空欄にします。

## Microsoft Teams
conn-steps-teams-1 = Microsoft Teams で、通知を送りたいチャネルの「…」（その他のオプション）から「ワークフロー」を選びます。
conn-steps-teams-2 = テンプレート「Webhook 要求を受信するとチャネルに投稿する」（Post to a channel when a webhook request is received）を選び、名前を付けて作成します。
conn-steps-teams-3 = 作成後に表示される URL をコピーし、下の「Webhook URL」に貼り付けます。
conn-note-teams-1 = 以前の「コネクタ → Incoming Webhook」（Office 365 コネクタ）の URL は、Microsoft が廃止したため使えません。ワークフローで作り直してください。
conn-note-teams-2 = メンバーをメンションするには、メンバーごとに Teams のユーザー（UPN またはオブジェクト ID）を登録します。
conn-hint-teams-webhook_url = ワークフローで作成した長い URL（logic.azure.com や powerplatform.com のもの）を、そのまま貼り付けます。保存後は表示されません。

## Google Chat
conn-steps-google_chat-1 = Google Workspace のアカウントで Google Chat を開き、通知を送るスペースを開きます（個人の Gmail アカウントでは作成できません）。
conn-steps-google_chat-2 = スペース名の横の ▼ から「アプリと統合」→「Webhook を管理」を開きます。
conn-steps-google_chat-3 = Webhook の名前を入力して保存し、作成された URL をコピーします。
conn-steps-google_chat-4 = 下の「Webhook URL」に貼り付けます。
conn-note-google_chat-1 = URL には key と token が含まれます。途中で切らずに、すべて貼り付けてください。
conn-hint-google_chat-webhook_url = https://chat.googleapis.com/v1/spaces/ で始まる URL です。保存後は表示されません。

## LINE WORKS
conn-steps-line_works-1 = 管理者のアカウントで LINE WORKS Developer Console にログインします。
conn-steps-line_works-2 = API 2.0 のアプリを作成し、「OAuth Scopes」に bot を追加します（カレンダー連携も使う場合は calendar も追加）。アプリの Client ID と Client Secret をコピーします。
conn-steps-line_works-3 = 同じアプリの「Service Account」で「発行」をクリックし、表示されたサービスアカウント（xxxxx.serviceaccount@ドメイン）をコピーします。続けて「Private Key」の「発行/再発行」で秘密鍵ファイル（.key）をダウンロードし、メモ帳などで開いて中身をすべてコピーします。
conn-steps-line_works-4 = 「Bot」メニューで Bot を登録し（または既存の Bot を選び）、Bot ID をコピーします。Bot は管理者画面で公開し、通知を受け取るメンバーが使えるようにしておきます。
conn-steps-line_works-5 = それぞれの値を下のフォームに入力します。
conn-note-line_works-1 = メンバーが通知を受け取るには、メンバーごとに LINE WORKS のユーザー ID を登録します。業務システムのログイン ID と同じにしておくと管理が簡単です。
conn-hint-line_works-client_id = Developer Console のアプリ（API 2.0）の Client ID です。
conn-hint-line_works-client_secret = 同じアプリの Client Secret です。保存後は表示されません。
conn-hint-line_works-service_account = xxxxx.serviceaccount@ドメイン の形式です。
conn-hint-line_works-private_key = ダウンロードした秘密鍵ファイル（.key）の中身を、-----BEGIN PRIVATE KEY----- から -----END PRIVATE KEY----- まですべて貼り付けます。保存後は表示されません。
conn-hint-line_works-bot_id = Developer Console の「Bot」に表示される数字の ID です。
conn-hint-line_works-bot_secret = LINE WORKS から renkei へのコールバックを使う場合だけ入力します。Bot の設定画面にある Bot Secret です。
conn-hint-line_works-room = トークルーム（チャンネル）に送る場合のチャンネル ID です。空欄の場合、ルーム宛ての通知はグループなどに設定したチャンネルにだけ送ります。
conn-lw-mapping-title = 以前のマニュアル（API 1.0）の項目との対応
conn-lw-mapping-intro = 古い設定マニュアルには API 1.0 の項目名が出てきます。API 2.0 では次のように置き換わりました。API 1.0 の値はそのままでは使えません。
conn-lw-mapping-old = API 1.0 の項目
conn-lw-mapping-new = API 2.0（このフォーム）
conn-lw-old-1 = API ID
conn-lw-new-1 = 廃止されました。代わりにアプリの Client ID と Client Secret を使います。
conn-lw-old-2 = Server API Consumer Key
conn-lw-new-2 = 廃止されました。入力は不要です。
conn-lw-old-3 = Server List ID
conn-lw-new-3 = Service Account（サービスアカウント）
conn-lw-old-4 = Server List 秘密キー（サーバー認証キー）
conn-lw-new-4 = Private Key（Service Account 用の秘密鍵）
conn-lw-old-5 = Bot ID
conn-lw-new-5 = Bot ID（変わりません）
conn-lw-old-6 = Domain ID・管理者メール
conn-lw-new-6 = 入力は不要です。

## LINE
conn-steps-line-1 = LINE Developers コンソールにログインし、プロバイダーを作成（または選択）します。
conn-steps-line-2 = 「新規チャネル作成」から Messaging API のチャネルを作成します。
conn-steps-line-3 = チャネルの「チャネル基本設定」タブで、チャネルシークレットをコピーします。
conn-steps-line-4 = 「Messaging API設定」タブの一番下にある「チャネルアクセストークン（長期）」の「発行」をクリックし、表示されたトークンをコピーします。
conn-steps-line-5 = メンバーが LINE ログインで連携できるようにするには、同じプロバイダーに LINE ログインチャネルを作成し、そのチャネル ID とチャネルシークレットも入力します。下のコールバック URL を LINE ログインチャネルに登録してください。
conn-note-line-1 = メンバーが LINE で通知を受け取るには、公式アカウントを友だち追加する必要があります。接続後、この接続の画面に友だち追加のリンクと QR コードが表示されます。
conn-note-line-2 = LINE には送信先ルームの指定はありません。友だち追加したメンバー個人に届きます。
conn-hint-line-channel_access_token = 「Messaging API設定」タブの「チャネルアクセストークン（長期）」です。保存後は表示されません。
conn-hint-line-channel_secret = 「チャネル基本設定」タブにある 32 文字のチャネルシークレットです。
conn-hint-line-login_channel_id = LINE ログインチャネルの「チャネル基本設定」にある数字のチャネル ID です（メンバーの連携に使います）。
conn-hint-line-login_channel_secret = LINE ログインチャネルのチャネルシークレット（32 文字）です。

## ツールからの拒否・エラー（$detail はツールや API の説明）
conn-err-chatwork_invalid_token = Chatwork がこの API トークンを受け付けませんでした。Chatwork の「サービス連携 → API Token」からもう一度コピーし、途中で切れていないか確認してください。
conn-err-chatwork_unreachable = Chatwork に接続できませんでした。しばらくしてから、もう一度お試しください。（{ $detail }）
conn-err-chatwork_error = Chatwork から想定外の応答がありました。しばらくしてから、もう一度お試しください。（{ $detail }）
conn-err-invalid_credentials = 入力内容を確認してください: { $detail }
conn-err-invalid_webhook_url = この Webhook URL は使えません: { $detail }
conn-err-slack_webhook_invalid = Slack によると、この Webhook は使えません（削除された、アプリがアンインストールされた、またはチャンネルがアーカイブされた可能性があります）。新しい Webhook を作成して貼り付けてください。
conn-err-slack_invalid_token = この Slack トークンは使えません。xoxb- で始まる Bot User OAuth Token を貼り付けてください。（{ $detail }）
conn-err-slack_missing_scope = この Bot トークンには chat:write の権限がありません。「OAuth & Permissions → Bot Token Scopes」に chat:write を追加し、アプリを再インストールしてから新しいトークンを貼り付けてください。
conn-err-teams_connector_retired = これは廃止された Office 365 コネクタ（Incoming Webhook）の URL です。チャネルの「ワークフロー」で「Webhook 要求を受信するとチャネルに投稿する」を作成し、その URL を貼り付けてください。
conn-err-line_works_invalid_private_key = この秘密鍵では署名できません。Developer Console で Service Account 用にダウンロードした .key ファイルの中身を、すべて貼り付けてください。
conn-err-line_works_invalid_credentials = LINE WORKS が認証情報を受け付けませんでした。Client ID と Client Secret が同じ API 2.0 アプリのものか、秘密鍵がそのアプリの Service Account 用に発行されたものかを確認してください。（{ $detail }）
conn-err-line_works_scope_missing = アプリに bot のスコープがありません。Developer Console の「OAuth Scopes」に bot を追加してください。
conn-err-line_works_unknown_bot = この Bot ID の Bot が見つかりません。Developer Console の「Bot」から Bot ID をコピーし、アプリと同じドメインの Bot か確認してください。
conn-err-line_works_bot_access_denied = アプリにこの Bot を使う権限がありません。Developer Console でアプリに bot のスコープを付けてください。
conn-err-line_invalid_token = LINE がこのチャネルアクセストークンを受け付けませんでした。「Messaging API設定」タブで長期のチャネルアクセストークンを発行（または再発行）し、すべて貼り付けてください。
conn-err-invalid_room = この送信先ルームは使えません: { $detail }
conn-err-room_not_allowed = Webhook は作成したチャンネルにしか投稿できないため、送信先ルームは指定できません。送信先ごとに Webhook を作成してください。
conn-err-unknown_client = この外部 ID の顧問先は登録されていません。外部 ID を確認するか、先に顧問先を登録してください。
conn-err-unknown_member = この外部 ID のメンバーは登録されていません。外部 ID を確認するか、先にメンバーを登録してください。
conn-err-provider_unavailable = この renkei サーバーでは { $tool } が有効になっていません。サーバーの管理者にお問い合わせください。
conn-err-invalid_secret = このシークレットは使えません: { $detail }
conn-err-invalid_oauth_client = クライアント ID とクライアントシークレットを、Chatwork の OAuth クライアント設定から両方ともコピーしてください。
conn-err-unreachable = { $tool } に確認できませんでした。しばらくしてから、もう一度お試しください。（{ $detail }）

## 完了メッセージ
flash-conn-connected = 接続しました。通知はこの接続から送られます。
flash-conn-switched-on = 接続をオンにしました。
flash-conn-switched-off = 接続をオフにしました。オンに戻すまで、この接続からは送りません。
flash-conn-room-saved = 送信先ルームを保存しました。
flash-conn-inbound-saved = 受信 Webhook のシークレットを保存しました。
flash-conn-disconnected = 接続を解除しました。
flash-conn-oauth-client-saved = OAuth クライアントを保存しました。続けて「Chatwork と連携する」を押してください。
flash-conn-oauth-linked = Chatwork と連携しました。

## 接続の画面
conn-detail-title = { $tool } の接続
conn-detail-summary = 接続の内容
conn-reconnect = 接続し直す（新しいトークンなどを入力します）
conn-detail-kind = 種類
conn-kind-token = API トークン
conn-kind-oauth = OAuth 連携
conn-kind-webhook = Webhook
conn-kind-bot = Bot
conn-detail-account-id = アカウント ID { $id }
conn-detail-my-chat = マイチャット
conn-detail-secret = 認証情報
conn-detail-secret-hint = （末尾 4 文字のみ表示しています）
conn-detail-created = 接続した日時
conn-detail-pending = 送信待ち
conn-count = { $count } 件
conn-detail-warnings = 注意
conn-switch-title = 使う・止める
conn-switch-on-now = この接続は使われています。オフにすると、認証情報を残したまま送信を止めます。
conn-switch-off-now = この接続はオフです。通知はこの接続を使わずに振り分けられます。
conn-switch-off = オフにする
conn-switch-on = オンにする
conn-room-title = 送信先
conn-room-empty-hint = 空欄にして保存すると、既定の送信先に戻ります。
conn-room-save = 送信先ルームを保存
conn-rooms-pick = ルームの一覧から選ぶ
conn-copy = コピー
conn-copied = コピーしました
conn-inbound-title = 受信 Webhook（ツールから renkei への通知）
conn-inbound-intro-chatwork = Chatwork の Webhook を使うと、ルームへの投稿やメンションを renkei が受け取れます。Chatwork の「サービス連携 → Webhook」で新規作成し、下の URL を「Webhook URL」に貼り付けてから、発行されたトークンをここに保存してください。
conn-inbound-intro-slack = Slack アプリからのリクエストを受け取るには、アプリの Request URL に下の URL を貼り付け、「Basic Information」の Signing Secret をここに保存してください。
conn-inbound-intro-line_works = Bot のコールバックを受け取るには、Developer Console の Bot 設定の「Callback URL」に下の URL を貼り付け、Bot Secret をここに保存してください。
conn-inbound-intro-line = 友だち追加やブロックを受け取るには、「Messaging API設定」タブの「Webhook URL」に下の URL を貼り付け、「Webhookの利用」をオンにしてください。署名の確認にはチャネルシークレットを使います。
conn-inbound-refused-broken = この接続はエラーになっているため、ツールからの通知も受け付けていません。接続し直してください。
conn-inbound-refused-no-secret-chatwork = Webhook トークンを保存すると受け付けます。
conn-inbound-refused-no-secret-slack = Signing Secret を保存すると受け付けます。
conn-inbound-refused-no-secret-line_works = Bot Secret を保存すると受け付けます。
conn-inbound-refused-no-secret-line = チャネルシークレットを保存すると受け付けます。
conn-inbound-url = ツールに登録する URL
conn-inbound-accepting = 受け付けています
conn-inbound-refusing = 受け付けていません
conn-inbound-secret-chatwork = Webhook トークン
conn-inbound-secret-slack = Signing Secret
conn-inbound-secret-line_works = Bot Secret
conn-inbound-secret-line = チャネルシークレット
conn-inbound-where-chatwork = Chatwork の Webhook 設定に表示されるトークンです。
conn-inbound-where-slack = アプリの「Basic Information → App Credentials → Signing Secret」です。
conn-inbound-where-line_works = Developer Console の Bot 設定にある Bot Secret です。
conn-inbound-where-line = 「チャネル基本設定」タブにある 32 文字のチャネルシークレットです。
conn-inbound-secret-set = 保存済みです（{ $hint }）。変更するときだけ入力してください。
conn-inbound-secret-unset = まだ保存されていません。
conn-inbound-secret-missing = シークレットを入力してください。
conn-inbound-save = シークレットを保存
conn-friend-title = 友だち追加
conn-friend-intro = メンバーにこのリンクか QR コードで公式アカウントを友だち追加してもらうと、LINE で通知を受け取れるようになります。
conn-friend-qr = 友だち追加の QR コード
conn-followers-title = 友だち（LINE ユーザー）
conn-followers-empty = まだ友だち追加の記録はありません（受信 Webhook の設定が必要です）。
conn-followers-user = LINE ユーザー ID
conn-followers-member = メンバー
conn-followers-unlinked = 未連携
conn-followers-following = 友だち
conn-followers-left = ブロック・削除
conn-disconnect-title = 接続の解除
conn-disconnect-intro = 解除すると認証情報を削除し、この接続からの送信をすぐに止めます。解除の前に、止まる内容を確認する画面が表示されます。
conn-disconnect-button = 接続を解除する…

## 解除の確認
conn-delete-title = { $tool } の接続を解除
conn-delete-which = 解除する接続: { $what }
conn-delete-stops-title = 解除すると、次のようになります
conn-delete-stops-now = この接続を使った通知は、すぐに送られなくなります。
conn-delete-pending = { $count ->
    [0] 送信待ちの通知はありません。
   *[other] 送信待ちの通知 { $count } 件は取り消されます（送信履歴に「取り消し」として理由とともに残ります）。
}
conn-delete-credentials = 保存している認証情報（API トークンなど）は削除され、元に戻せません。もう一度使うには、接続し直してください。
conn-delete-history = これまでの送信履歴は残ります。他のツールの接続には影響しません。
conn-delete-instead = 一時的に止めたいだけなら、接続の画面の「オフにする」を使うと、認証情報を残したまま送信を止められます。
conn-delete-confirm = 接続を解除する

## ルームの一覧（Chatwork）
conn-rooms-title = ルームの一覧
conn-rooms-intro = この接続のアカウントが参加しているルームです（Chatwork の仕様で最大 100 件）。通知を送るルームの「このルームに送る」を押してください。
conn-rooms-empty = 参加しているルームがありません。
conn-rooms-filter = ルーム名で絞り込む
conn-rooms-name = ルーム名
conn-rooms-id = ルーム ID
conn-rooms-action = 操作
conn-rooms-current = 現在の送信先
conn-rooms-use = このルームに送る

## Chatwork OAuth
conn-oauth-title = Chatwork と OAuth で連携
conn-oauth-intro = API トークンを貼り付ける代わりに、Chatwork の同意画面で許可して連携します。先に Chatwork で OAuth クライアントを作成し、その情報をここに登録してください。
conn-oauth-steps-1 = （任意）通知用の Chatwork アカウントを用意し、以降の手順はそのアカウントで進めます。設定する人のアカウントのまま進めると、通知がその人の投稿として届き、普段のやり取りに混ざってしまいます。
conn-oauth-steps-2 = 連携する Chatwork アカウントのコンタクトに、通知を受け取る人が入っているか確認します（メンバーとアカウントの紐付けにコンタクトを使います）。
conn-oauth-steps-3 = Chatwork の「サービス連携」→「OAuth」でクライアントを新規作成し、下の「Chatwork に入力する内容」のとおりに入力します。
conn-oauth-steps-4 = 作成後に表示されるクライアント ID とクライアントシークレットを、下のフォームに貼り付けて「この内容で保存する」を押します。
conn-oauth-steps-5 = 「Chatwork と連携する」を押すと Chatwork の画面に切り替わります。「許可する」をクリックすると、この管理画面に戻ります。クライアント ID が間違っている場合は Chatwork のエラー画面が表示されるので、ブラウザの戻るボタンで戻って正しい ID を登録してください。
conn-oauth-values-title = Chatwork に入力する内容
conn-oauth-client-name = クライアント名
conn-oauth-client-name-value = 任意（例: 通知連携）
conn-oauth-client-type = クライアントタイプ
conn-oauth-redirect = リダイレクト先 URL
conn-oauth-https = Chatwork ではリダイレクト先 URL に https が必要です。renkei の公開 URL（RENKEI_PUBLIC_URL）を https の URL に設定してください。
conn-oauth-scopes = スコープ
conn-oauth-scope-label = Chatwork の画面では「{ $label }」
conn-scope-offline_access = 永続的なAPIアクセスの許可
conn-scope-users-profile-me-read = 自分のアカウントに紐づく情報の取得
conn-scope-rooms-all-read_write = チャットルームに紐づくメッセージ・タスク・ファイル・概要・メンバー情報の操作/取得
conn-scope-contacts-all-read_write = 自分のコンタクト、及びコンタクト承認依頼情報の取得/操作
conn-oauth-client-title = OAuth クライアントの登録
conn-oauth-registered = 登録済み: クライアント ID { $id }、シークレット
conn-oauth-client-id-hint = Chatwork の OAuth クライアント作成後、ページの下側に表示されるクライアント ID です。
conn-oauth-client-secret-hint = 同じ画面のクライアントシークレットです。保存後は末尾 4 文字しか表示されません。登録をやり直すときは、もう一度入力してください。
conn-oauth-scopes-hint = 空欄のままにすると、上のスコープ（renkei に必要なもの）を使います。変える場合は、スペースで区切って入力します。
conn-oauth-save = この内容で保存する
conn-oauth-link-title = Chatwork と連携する
conn-oauth-link-intro = 下のボタンを押すと Chatwork の同意画面に移動します。連携するアカウントでログインして「許可する」をクリックしてください。
conn-oauth-link-button = Chatwork と連携する
