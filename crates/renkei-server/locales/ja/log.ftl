# 送信履歴（通知ごとの送信結果、送信先が決まった理由、再送）
log-title = 送信履歴
log-intro = 受け付けた通知を新しい順に表示します。通知を開くと、送信先ごとの結果、送信先が決まった理由、送信の記録を確認でき、失敗した通知を再送できます。
log-filters = 絞り込み
log-filter-status = 送信結果
log-filter-any = すべて
log-filter-tool = ツール
log-filter-type = 通知の種類
log-filter-member = メンバー
log-filter-member-hint = メンバーの ID（貴社システムの ID）を入力します。
log-filter-client = 顧問先
log-filter-client-hint = 顧問先の ID（貴社システムの ID）を入力します。
log-filter-since = 開始日時
log-filter-time-hint = この日時以降に受け付けた通知を表示します（{ $zone } の時刻）。
log-filter-until = 終了日時
log-filter-until-hint = この日時より前に受け付けた通知を表示します（{ $zone } の時刻）。
log-filter-apply = 絞り込む
log-filter-clear = 条件をクリア
log-events = 通知
log-events-filtered = 条件に合う通知
log-col-type = 種類
log-col-title = 件名
log-col-deliveries = 送信結果
log-no-title = （件名なし）
log-no-deliveries = 送信先はありません
log-none-yet = まだ通知はありません。貴社システムから通知が送られると、ここに表示されます。
log-none-match = 条件に合う通知はありません。条件を変えてお試しください。
log-walk-stopped = 時間がかかりすぎないよう、通知 { $count } 件分を調べたところで検索をいったん止めました。これより古い通知にも条件に合うものがあるかもしれません。
log-walk-nothing-yet = 通知 { $count } 件分を調べましたが、条件に合う通知はまだ見つかっていません。これより古い通知も調べるには「さらに探す」を押してください。
log-pages = 履歴のページ
log-newest = 最新の通知に戻る
log-older = さらに古い通知を表示
log-keep-looking = さらに探す
log-no-more = これより古い通知はありません。
log-kind-bulk-send = 一斉送信
log-kind-calendar = 予定の同期
log-not-found-title = 見つかりません
log-not-found = 指定された通知は見つかりません。送信履歴から選び直してください。
log-err-time = 日時は { $example } の形式で入力してください。
log-err-until-before-since = 終了日時は開始日時より後にしてください。
log-err-invalid_status = 送信結果は一覧から選んでください。
log-err-unknown_provider = ツールは一覧から選んでください。
log-err-invalid_time = 日時を正しく入力してください。
log-err-invalid_cursor = ページの指定が正しくありません。最新の通知から表示し直してください。
# 通知の詳細
log-event-title = 通知の詳細
log-back = 送信履歴に戻る
log-the-event = 通知の内容
log-fact-type = 種類
log-fact-created = 受付日時
log-fact-targets = 宛先
log-fact-link-expires = 確認リンクの有効期限
log-fact-idempotency-key = 重複防止キー
log-fact-id = 通知 ID
log-fact-url = リンク
log-fact-body = 本文
log-target-tenant = 事務所全体
log-target-client = 顧問先 { $id }
log-target-group = グループ { $id }
log-target-member = メンバー { $id }
log-targets-clients = 顧問先: { $names }
log-targets-groups = グループ: { $names }
log-targets-members = メンバー: { $names }
log-targets-rooms = ルーム: { $names }
log-targets-more =
    { $count ->
       *[other] 、ほか { $count } 件
    }
log-targets-subgroups = 下位グループのメンバーを含む
log-list-separator = ／
log-deliveries =
    { $count ->
       *[other] 送信先 { $count } 件
    }
log-pending-hint = 送信待ちの送信先があります。しばらくしてから最新の状態を確認してください。
log-reload = 最新の状態を表示
log-place-none = 送信先なし
log-place-direct = ダイレクトメッセージ（アカウント { $account }）
log-place-webhook = Webhook の投稿先チャンネル
log-place-my-chat = マイチャット（ルーム { $room }）
log-place-room = ルーム { $room }
log-for = 宛先
log-connection = 連携
log-connection-n = 連携 #{ $id }
log-why = 送信先が決まった理由
log-mentions = メンション
log-warnings = 注意
log-message-id = メッセージ ID
log-confirmed = 確認
log-not-confirmed = まだ確認されていません
log-views = 確認ページの表示
log-view-count =
    { $count ->
       *[other] { $count } 回
    }
log-next-attempt = 次の送信: { $time }
log-no-attempts = まだ送信していません。
log-attempts =
    { $count ->
       *[other] 送信の記録（{ $count } 回）
    }
log-col-http = HTTP
log-col-outcome = 結果
log-col-answer = 相手先の応答・エラー
log-col-latency = 所要時間
log-ms = { $ms } ミリ秒
log-delivery-pages = 送信先のページ
log-deliveries-first = 最初の送信先に戻る
log-deliveries-next =
    { $count ->
       *[other] 次の { $count } 件
    }
log-answers-as-received = 相手先（各ツール）の応答と、一部の詳しい内容は、記録されたまま（英語）で表示しています。
log-resend = 再送する
log-resend-confirm = この送信先に通知をもう一度送信します。よろしいですか？
flash-log-resent = 再送を受け付けました。まもなく送信します。
log-open-connection = 連携を開く
log-open-connections = 連携の一覧を開く
log-conn-broken = この連携は接続エラーのため、再送しても届きません。先に連携を直してください。
log-conn-off = この連携はオフになっています。先に連携をオンにしてください。
log-conn-gone = この連携は削除されています。ツールと連携し直してから、新しく通知を送ってください。
log-err-not_resendable = この送信先はすでに送信済みか送信待ちのため、再送しませんでした。
log-err-no_connection = この送信先には送信に使う連携がないため、再送できません。送信先を設定してから、新しく通知を送ってください。
log-err-connection_gone = 送信に使った連携が削除されているため、再送できません。ツールと連携し直してから、新しく通知を送ってください。
log-err-connection_broken = 連携が接続エラーのため、再送できません。先に連携を直して（正しいトークンなどで接続し直して）から、再送してください。
log-err-connection_switched_off = 連携がオフになっているため、再送できません。先に連携をオンにしてから、再送してください。
log-err-connection-not-found = 選んだ連携は見つかりません。一覧から選び直してください。
# 障害のあとでまとめて再送
log-resend-failed-title = 失敗した通知をまとめて再送
log-resend-failed-form = 再送する連携と期間
log-resend-failed-intro = ツール側の障害や連携の設定ミスが解消したあと、その連携で送信に失敗した通知を、指定した日時以降の分まとめてもう一度送信します。
log-resend-failed-confirm = 指定した日時以降に失敗した通知を、すべてもう一度送信します。よろしいですか？
log-resend-connection = 連携
log-resend-pick = 連携を選んでください
log-resend-since = この日時以降に受け付けた通知
log-resend-since-hint = { $zone } の時刻で入力します。障害が始まる少し前の日時を指定してください。
log-resend-failed-button = 失敗した通知を再送する
log-resend-no-connections = 連携がまだありません。
log-fix-connection-first = 先に連携を直してから、もう一度お試しください。
log-flash-resent-failed =
    { $count ->
        [0] 再送する失敗した通知はありませんでした。
       *[other] 失敗した通知 { $count } 件の再送を受け付けました。まもなく送信します。
    }
log-err-pick-connection = 再送する連携を選んでください。
# 送信結果・失敗の理由
log-code-delivered = 送信しました
log-code-provider_unavailable = 相手先が一時的に応答しませんでした（自動で再送します）
log-code-room_rate_limited = ルームの投稿制限に達しました（少し待って自動で送信します）
log-code-credential_rate_limited = アカウントの送信制限に達しました（制限が解除されてから送信します）
log-code-credentials_rejected = 相手先がトークンなどの認証情報を受け付けませんでした
log-code-destination_refused = 相手先がこの送信先への投稿を受け付けませんでした
log-code-retries_exhausted = 再送を続けましたが、期限内に届きませんでした
log-code-connection_broken = 連携が接続エラーになりました
log-code-connection_deleted = 連携が削除されたため取り消しました
log-code-connection_switched_off = 連携がオフのため送信しませんでした
log-code-bulk_send_cancelled = 一斉送信を取り消しました
log-code-client_deleted = 顧問先が削除されたため取り消しました
log-code-group_deleted = グループが削除されたため取り消しました
log-code-member_deleted = メンバーが削除されたため取り消しました
log-code-preference_off = この種類の通知は、このツールには送らない設定です
log-code-no_connection = 送信に使える連携がありません
log-code-no_destination = 送信先のルームが決まっていません
log-code-no_group = メンバーがどのグループにも所属していません
log-code-no_identity = メンバーのこのツールのアカウントが登録されていません
log-code-no_members = グループにメンバーがいません
log-code-unknown_client = この ID の顧問先は登録されていません
log-code-unknown_group = この ID のグループは登録されていません
log-code-unknown_member = この ID のメンバーは登録されていません
log-code-chatwork_not_a_contact = Chatwork のコンタクトではないため、ダイレクトチャットを送れません
log-code-chatwork_insufficient_scope = Chatwork の連携に必要な権限（スコープ）がありません
log-code-direct_not_supported = このツールではダイレクトメッセージを送れません
log-code-line_invalid_user_id = LINE のユーザー ID が正しくありません
log-code-line_not_linked = LINE の友だち追加がされていません
log-code-line_works_access_denied = LINE WORKS がアクセスを拒否しました
log-code-line_works_scope_missing = LINE WORKS の Bot に必要な権限（スコープ）がありません
log-code-slack_not_in_channel = Slack のアプリがチャンネルに追加されていません
log-code-teams_invalid_card = Teams がメッセージの形式を受け付けませんでした
log-skipped =
    { $count ->
       *[other] 送信しなかった宛先（{ $count } 件）
    }
log-skip-reason = 送信しなかった理由
log-more-filters = メンバー・顧問先・期間で絞り込む
log-only-status-label = 送信結果ごとの件数（選ぶとその送信先だけを表示）
log-only-status = 送信結果が「{ $status }」の送信先だけを表示しています。
log-show-all-deliveries = すべての送信先を表示
