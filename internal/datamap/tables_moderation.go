package datamap

// Purposes of moderation.
const (
	// Keeping the community civil: reports, hiding, appeals, blocks and the
	// spam signals (the site's legitimate interest, GDPR Art. 6(1)(f)).
	Moderate Purpose = "keep the community civil: reports, moderators' decisions and your appeals, the members you block, and holding likely spam for review"
)

// Retention of moderation records.
const (
	untilDecided   = "until a moderator decides (the report is then kept closed) or the account is erased"
	moderationKept = "3 years after the decision, as proof of how moderators decided"
)

// keptAsModerationRecord keeps the moderation log after erasure: the site
// must be able to show what moderators decided about whom and why, to
// answer an appeal or a complaint and to demonstrate that it acted on
// notices with a statement of reasons (Regulation (EU) 2022/2065, Digital
// Services Act, Arts. 16, 17 and 20; GDPR Art. 6(1)(f) and 17(3)(e)). The
// log holds numbers, actions and the moderator's reason, never the text
// of the content.
var keptAsModerationRecord = Erasure{Action: Keep,
	Obligation: "Digital Services Act Arts. 16, 17, 20 (statement of reasons, handling of notices and complaints) under the site's legitimate interest (GDPR Art. 6(1)(f), 17(3)(e))",
	Period:     "3 years"}

// moderationTables declares reports, hidden and held content, the
// moderation log and blocks.
var moderationTables = []Table{
	{
		Name: "reports",
		About: "Members' reports of comments, reviews, tracks, playlists and profiles, with a reason. A report is the reporter's: erasure deletes it; " +
			"reports about a member are deleted with that member's account, and are never shown to them (the reporter's identity is another person's data).",
		Owner: Owner{Where: "reporter_id = ?"}, Rows: DeleteRows, Order: 5,
		Columns: []Column{
			notPersonal("id", "the report's number"),
			memberRef("reporter_id"),
			notPersonal("kind", "what kind of content was reported"),
			notPersonal("target_key", "the number of the reported content"),
			{Name: "author_id", Category: UniqueID, MemberRef: true, Purposes: []Purpose{Moderate}, Mandatory: "reporting", Visibility: Private,
				Retention: untilDecided, Export: NotExported("the number of the reported member: another person's data"), Erasure: deleted},
			{Name: "reason", Category: Communications, Purposes: []Purpose{Moderate}, Mandatory: "reporting", Visibility: Private,
				Retention: untilDecided, Export: export, Erasure: deleted},
			{Name: "details", Category: Communications, Purposes: []Purpose{Moderate}, Visibility: Private,
				Retention: untilDecided, Export: export, Erasure: deleted},
			{Name: "created_at", Category: Communications, Purposes: []Purpose{Moderate}, Mandatory: "reporting", Visibility: Private,
				Retention: untilDecided, Export: export, Erasure: deleted},
			{Name: "closed_at", Category: Communications, Purposes: []Purpose{Moderate}, Visibility: Private,
				Retention: untilDecided, Export: export, Erasure: deleted},
		},
	},
	{
		Name: "moderated",
		About: "Comments and reviews hidden by moderators or held for review by the spam signals, with the reason and the author's one appeal. " +
			"Only the author and moderators see such content. Erasure deletes the rows with the content.",
		Owner: Owner{Where: "author_id = ?"}, Rows: DeleteRows, Order: 5,
		Columns: []Column{
			notPersonal("kind", "comment or review"),
			notPersonal("target_key", "the number of the comment or review"),
			memberRef("author_id"),
			{Name: "state", Category: Account, Purposes: []Purpose{Moderate}, Mandatory: "posting", Visibility: Private,
				Retention: untilRemoved, Export: export, Erasure: deleted},
			{Name: "reason", Category: Account, Purposes: []Purpose{Moderate}, Mandatory: "posting", Visibility: Private,
				Retention: untilRemoved, Export: export, Erasure: deleted},
			{Name: "created_at", Category: Account, Purposes: []Purpose{Moderate}, Mandatory: "posting", Visibility: Private,
				Retention: untilRemoved, Export: export, Erasure: deleted},
			{Name: "appeal", Category: Communications, Purposes: []Purpose{Moderate}, Visibility: Private,
				Retention: untilRemoved, Export: export, Erasure: deleted},
			{Name: "appealed_at", Category: Communications, Purposes: []Purpose{Moderate}, Visibility: Private,
				Retention: untilRemoved, Export: export, Erasure: deleted},
		},
	},
	{
		Name: "moderation_log",
		About: "The moderation log, append-only (the database refuses changes and deletions for 3 years): every moderator action, by whom, on what, about whom and why. " +
			"It holds numbers and the moderator's reason, never the content; it is kept after erasure of the account it names, as the record of moderators' decisions.",
		Owner: Owner{Where: "author_id = ?"}, Rows: UpdateRows, Order: 10,
		Columns: []Column{
			notPersonal("id", "the entry's number"),
			{Name: "created_at", Category: Account, Purposes: []Purpose{Moderate}, Visibility: Private,
				Retention: moderationKept, Export: export, Erasure: keptAsModerationRecord},
			{Name: "moderator_id", Category: UniqueID, MemberRef: true, Purposes: []Purpose{Moderate}, Visibility: Private,
				Retention: moderationKept, Export: NotExported("the number of the moderator's account: another person's data"), Erasure: keptAsModerationRecord},
			{Name: "action", Category: Account, Purposes: []Purpose{Moderate}, Visibility: Private,
				Retention: moderationKept, Export: export, Erasure: keptAsModerationRecord},
			notPersonal("kind", "what kind of content the action was about"),
			notPersonal("target_key", "the number of the content"),
			{Name: "author_id", Category: UniqueID, MemberRef: true, Purposes: []Purpose{Moderate}, Visibility: Private,
				Retention: moderationKept, Export: NotExported("your account number; the rows are yours"), Erasure: keptAsModerationRecord},
			{Name: "reason", Category: Account, Purposes: []Purpose{Moderate}, Visibility: Private,
				Retention: moderationKept, Export: export, Erasure: keptAsModerationRecord},
		},
	},
	{
		Name: "blocks",
		About: "Members a member blocked: they cannot reply to, mention or follow the blocker, whose pages collapse their comments and reviews. " +
			"The list is the blocker's (exported to them, never to the blocked member); erasure deletes the member's blocks, and the database deletes the blocks of them by others with their account.",
		Owner: Owner{Where: "blocker_id = ?"}, Rows: DeleteRows, Order: 5,
		Columns: []Column{
			memberRef("blocker_id"),
			{Name: "blocked_id", Category: UniqueID, MemberRef: true, Purposes: []Purpose{Moderate}, Mandatory: "blocking", Visibility: Private,
				Retention: untilErased, Export: NotExported("an internal number of another member"), Erasure: deleted},
			{Name: "created_at", Category: AccountSettings, Purposes: []Purpose{Moderate}, Mandatory: "blocking", Visibility: Private,
				Retention: untilErased, Export: export, Erasure: deleted},
		},
	},
}
