settings-title = Settings
settings-link-legend = Confirmation link lifetime
settings-link-hint = Each notice carries a "Confirm" link, and the delivery log shows whether the person opened it. An expired link no longer works.
settings-link-none = No link
settings-link-days = { $days ->
    [1] 1 day
   *[other] { $days } days
}
settings-time-zone = Time zone
settings-time-zone-hint = The console shows dates and times in this zone (for example Asia/Tokyo).
settings-language = Default language
settings-language-hint = Used when the browser asks for neither Japanese nor English. Every page can switch at the top right.
settings-save = Save
settings-err-link = Choose how long the confirmation link lives.
settings-err-time-zone = That time zone is not known. Type it as Region/City, such as Asia/Tokyo.
settings-err-language = Choose Japanese or English.
flash-saved = Saved.
