package datamap

// More purposes, for notifications and the activity feed.
const (
	// "Email notifications" (§2), and the same events shown on the site.
	Notify Purpose = "tell you on the site of what concerns you: new followers, comments on your music, replies, mentions, new releases of those you follow, moderators' decisions"
	// "Activities shared with your contacts" (§2): only the kinds the
	// member chooses, with their consent to sharing.
	ShareActivity Purpose = "show the activity you chose to share to the members who follow you"
)

// untilReadOrErased is how long notifications are kept.
const untilReadOrErased = "until the member or the member who caused it is erased"

// notificationsTables declares in-app notifications and the choices of
// what activity a member shares with followers.
var notificationsTables = []Table{
	{
		Name: "notifications",
		About: "In-app notifications, one per event and member told. Erasure deletes the member's notifications and " +
			"those of others that are about them (their text names the member who caused them).",
		Owner: Owner{Where: "member_id = ? OR actor_id = ?"}, Rows: DeleteRows, Order: 10,
		Columns: []Column{
			notPersonal("id", "the notification's number"),
			memberRef("member_id"),
			{Name: "actor_id", Category: UniqueID, MemberRef: true, Purposes: []Purpose{Notify}, Visibility: Private,
				Retention: untilReadOrErased, Export: NotExported("an internal number; the text names who it was"), Erasure: deleted},
			{Name: "category", Category: AccountSettings, Purposes: []Purpose{Notify}, Visibility: Private,
				Retention: untilReadOrErased, Export: export, Erasure: deleted},
			{Name: "event_key", Category: Communications, Purposes: []Purpose{Notify}, Visibility: Private,
				Retention: untilReadOrErased, Export: NotExported("an internal name of the event, so that it is told once"), Erasure: deleted},
			{Name: "text", Category: Communications, Purposes: []Purpose{Notify}, Visibility: Private,
				Retention: untilReadOrErased, Export: export, Erasure: deleted},
			{Name: "link", Category: Communications, Purposes: []Purpose{Notify}, Visibility: Private,
				Retention: untilReadOrErased, Export: export, Erasure: deleted},
			{Name: "created_at", Category: Communications, Purposes: []Purpose{Notify}, Visibility: Private,
				Retention: untilReadOrErased, Export: export, Erasure: deleted},
			{Name: "read_at", Category: Communications, Purposes: []Purpose{Notify}, Visibility: Private,
				Retention: untilReadOrErased, Export: export, Erasure: deleted},
		},
	},
	{
		Name:  "activity_sharing",
		About: "Which kinds of activity (favourites, reviews, comments) the member shares with followers beyond what is public. Taken into account only while they consent to sharing.",
		Owner: ofMember, Rows: DeleteRows, Order: 10,
		Columns: []Column{
			memberRef("member_id"),
			{Name: "kind", Category: PrivacyChoices, Purposes: []Purpose{ShareActivity}, Visibility: Private,
				Retention: untilRemoved, Export: export, Erasure: deleted},
			{Name: "shared", Category: PrivacyChoices, Purposes: []Purpose{ShareActivity}, Visibility: Private,
				Retention: untilRemoved, Export: export, Erasure: deleted},
			{Name: "updated_at", Category: PrivacyChoices, Purposes: []Purpose{ShareActivity}, Visibility: Private,
				Retention: untilRemoved, Export: export, Erasure: deleted},
		},
	},
}
