package datamap

// More purposes, for the community.
const (
	// "Published on our services when applicable (... community
	// discussions, comments, etc.)" (§2).
	Community Purpose = "publish what you post in the community (comments, reviews, playlists) and show it beside your username"
	// Favourites, follows and private playlists serve the member.
	Collect Purpose = "keep the music and the people you chose to favour, follow or gather in playlists"
)

// Retention of community content.
const untilRemoved = "until the member deletes it or their account is erased"

// A comment's body, edit time and author as erasure leaves them on a
// tombstone, where replies by others hang.
var (
	tombstoneEmpty = Erasure{Action: Delete, Value: "''"}
	tombstoneNull  = Erasure{Action: Delete, Value: "NULL"}
)

// commentAuthorShown is the author's username of another member's reply
// when that member made their community activity public (their comments
// and reviews listed on their public page), else NULL.
const commentAuthorShown = `(SELECT m.username FROM members m JOIN community_choices cc ON cc.member_id = m.id
	WHERE m.id = comments.author_id AND cc.activity_public = TRUE)`

// communityTables declares comments, reviews, favourites, follows,
// playlists and the choices of what of them a member's page shows.
var communityTables = []Table{
	{
		Name: "comments",
		About: "Comments on tracks, albums and artist pages, with one level of replies. Erasure deletes the member's comments; " +
			"one that others replied to stays as a tombstone (\"deleted member\"): no author, no text, so that the replies keep their place.",
		Owner: Owner{Where: "author_id = ?"}, Rows: DeleteRows, Order: 8,
		Tombstone: "EXISTS (SELECT 1 FROM comments r WHERE r.parent_id = comments.id AND (r.author_id IS NULL OR r.author_id <> ?))",
		Others:    Owner{Where: "parent_id IN (SELECT c.id FROM comments c WHERE c.author_id = ?) AND (author_id IS NULL OR author_id <> ?)"},
		Columns: []Column{
			notPersonal("id", "the comment's number"),
			{Name: "author_id", Category: UniqueID, MemberRef: true, Purposes: []Purpose{Community}, Mandatory: "commenting", Visibility: Public,
				Retention: untilRemoved, Export: NotExported("an internal number; the comments themselves are exported"), Erasure: tombstoneNull,
				Mask: &Mask{As: "author", Shown: commentAuthorShown, Masked: "another member"}},
			notPersonal("track_id", "the commented track's number"),
			notPersonal("album_id", "the commented album's number"),
			notPersonal("artist_id", "the commented artist's number"),
			notPersonal("parent_id", "the number of the comment replied to"),
			{Name: "body", Category: PublicContent, Purposes: []Purpose{Community}, Mandatory: "commenting", Visibility: Public,
				Retention: untilRemoved, Export: export, Erasure: tombstoneEmpty},
			{Name: "created_at", Category: PublicContent, Purposes: []Purpose{Community}, Mandatory: "commenting", Visibility: Public,
				Retention: untilRemoved, Export: export,
				Erasure: Erasure{Action: Anonymise, Value: "created_at"}},
			{Name: "edited_at", Category: PublicContent, Purposes: []Purpose{Community}, Visibility: Public,
				Retention: untilRemoved, Export: export, Erasure: tombstoneNull},
			{Name: "deleted_at", Category: PublicContent, Purposes: []Purpose{Community}, Visibility: Public,
				Retention: untilRemoved, Export: export, Erasure: Erasure{Action: Anonymise, Value: "CURRENT_TIMESTAMP"}},
		},
	},
	{
		Name:  "reviews",
		About: "Reviews of albums and tracks: a score from 1 to 5 and a text, one per member per item. Erasure deletes them, with the helpful marks they received.",
		Owner: ofMember, Rows: DeleteRows, Order: 10,
		Columns: []Column{
			notPersonal("id", "the review's number"),
			memberRef("member_id"),
			notPersonal("track_id", "the reviewed track's number"),
			notPersonal("album_id", "the reviewed album's number"),
			{Name: "score", Category: PublicContent, Purposes: []Purpose{Community}, Mandatory: "reviewing", Visibility: Public,
				Retention: untilRemoved, Export: export, Erasure: deleted},
			{Name: "body", Category: PublicContent, Purposes: []Purpose{Community}, Visibility: Public,
				Retention: untilRemoved, Export: export, Erasure: deleted},
			{Name: "created_at", Category: PublicContent, Purposes: []Purpose{Community}, Mandatory: "reviewing", Visibility: Public,
				Retention: untilRemoved, Export: export, Erasure: deleted},
			{Name: "updated_at", Category: PublicContent, Purposes: []Purpose{Community}, Mandatory: "reviewing", Visibility: Public,
				Retention: untilRemoved, Export: export, Erasure: deleted},
		},
	},
	{
		Name:  "review_helpful",
		About: "Marks of \"this review was helpful\": once per member per review. Only their count is shown.",
		Owner: ofMember, Rows: DeleteRows, Order: 5,
		Columns: []Column{
			{Name: "review_id", Category: Content, Purposes: []Purpose{Community}, Visibility: Private,
				Retention: untilRemoved, Export: Exported("the number of the review marked helpful"), Erasure: deleted},
			memberRef("member_id"),
			{Name: "created_at", Category: Content, Purposes: []Purpose{Community}, Visibility: Private,
				Retention: untilRemoved, Export: export, Erasure: deleted},
		},
	},
	{
		Name:  "favourites",
		About: "Favourite tracks and albums. Shown on the member's page only when they choose (community_choices).",
		Owner: ofMember, Rows: DeleteRows, Order: 10,
		Columns: []Column{
			memberRef("member_id"),
			{Name: "track_id", Category: MediaPlays, Purposes: []Purpose{Collect}, Visibility: Chosen,
				Retention: untilRemoved, Export: Exported("the number of the track, at /tracks/NUMBER"), Erasure: deleted},
			{Name: "album_id", Category: MediaPlays, Purposes: []Purpose{Collect}, Visibility: Chosen,
				Retention: untilRemoved, Export: Exported("the number of the album, at /albums/NUMBER"), Erasure: deleted},
			{Name: "created_at", Category: MediaPlays, Purposes: []Purpose{Collect}, Visibility: Private,
				Retention: untilRemoved, Export: export, Erasure: deleted},
		},
	},
	{
		Name: "follows",
		About: "Follows of artists and members. Erasure deletes the member's follows and the follows of them; " +
			"follows of their artists go with the artists. Shown on the member's page only when they choose (community_choices).",
		Owner: Owner{Where: "follower_id = ? OR member_id = ?"}, Rows: DeleteRows, Order: 10,
		Columns: []Column{
			{Name: "follower_id", Category: UniqueID, MemberRef: true, Purposes: []Purpose{Collect}, Mandatory: "following", Visibility: Chosen,
				Retention: untilRemoved, Export: NotExported("an internal number; who follows the member is not given out, only that they do"), Erasure: deleted},
			{Name: "member_id", Category: UniqueID, MemberRef: true, Purposes: []Purpose{Collect}, Visibility: Chosen,
				Retention: untilRemoved, Export: Exported("the number of the followed member (the member's own number when someone follows them)"), Erasure: deleted},
			{Name: "artist_id", Category: Content, Purposes: []Purpose{Collect}, Visibility: Chosen,
				Retention: untilRemoved, Export: Exported("the number of the followed artist"), Erasure: deleted},
			{Name: "created_at", Category: Content, Purposes: []Purpose{Collect}, Visibility: Private,
				Retention: untilRemoved, Export: export, Erasure: deleted},
		},
	},
	{
		Name:  "playlists",
		About: "Playlists: public (listed on the member's page), unlisted (anyone with the link) or private (the member only).",
		Owner: ofMember, Rows: DeleteRows, Order: 10,
		Columns: []Column{
			{Name: "id", Category: Content, Purposes: []Purpose{Collect}, Visibility: Chosen,
				Retention: untilRemoved, Export: Exported("the playlist's link, /playlists/ID"), Erasure: deleted},
			memberRef("member_id"),
			{Name: "name", Category: Content, Purposes: []Purpose{Collect}, Mandatory: "playlists", Visibility: Chosen,
				Retention: untilRemoved, Export: export, Erasure: deleted},
			{Name: "visibility", Category: AccountSettings, Purposes: []Purpose{Collect}, Mandatory: "playlists", Visibility: Private,
				Retention: untilRemoved, Export: export, Erasure: deleted},
			{Name: "created_at", Category: Content, Purposes: []Purpose{Collect}, Visibility: Private,
				Retention: untilRemoved, Export: export, Erasure: deleted},
			{Name: "updated_at", Category: Content, Purposes: []Purpose{Collect}, Visibility: Private,
				Retention: untilRemoved, Export: export, Erasure: deleted},
		},
	},
	{
		Name:  "playlist_tracks",
		About: "The tracks of each playlist, in the member's order.",
		Owner: Owner{Where: "playlist_id IN (SELECT id FROM playlists WHERE member_id = ?)"}, Rows: DeleteRows, Order: 5,
		Columns: []Column{
			{Name: "playlist_id", Category: Content, Purposes: []Purpose{Collect}, Visibility: Chosen,
				Retention: untilRemoved, Export: Exported("the playlist's id"), Erasure: deleted},
			{Name: "track_id", Category: MediaPlays, Purposes: []Purpose{Collect}, Visibility: Chosen,
				Retention: untilRemoved, Export: Exported("the number of the track, at /tracks/NUMBER"), Erasure: deleted},
			{Name: "position", Category: Content, Purposes: []Purpose{Collect}, Visibility: Chosen,
				Retention: untilRemoved, Export: export, Erasure: deleted},
			{Name: "added_at", Category: Content, Purposes: []Purpose{Collect}, Visibility: Private,
				Retention: untilRemoved, Export: export, Erasure: deleted},
		},
	},
	{
		Name:  "community_choices",
		About: "What a member's public page shows beyond the profile fields: favourites, follows, comments and reviews. Each is private until the member makes it public.",
		Owner: ofMember, Rows: DeleteRows, Order: 10,
		Columns: []Column{
			memberRef("member_id"),
			{Name: "favourites_public", Category: AccountSettings, Purposes: []Purpose{Publish}, Visibility: Private,
				Retention: untilErased, Export: export, Erasure: deleted},
			{Name: "follows_public", Category: AccountSettings, Purposes: []Purpose{Publish}, Visibility: Private,
				Retention: untilErased, Export: export, Erasure: deleted},
			{Name: "activity_public", Category: AccountSettings, Purposes: []Purpose{Publish}, Visibility: Private,
				Retention: untilErased, Export: export, Erasure: deleted},
		},
	},
}
