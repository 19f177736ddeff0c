package datamap

// Discuss is the purpose of the discussions: the threads and posts a
// member writes are published beside their username ("community
// discussions", §2), and the site remembers how far they read.
const Discuss Purpose = "publish the threads and posts you write in the discussions beside your username, and remember how far you read each thread"

// threadTombstone is the title a thread keeps when its author's account is
// erased while others posted in it: their posts keep their place, the
// erased member's title goes.
const threadTombstone = "'A thread by a deleted member'"

// discussionsTables declares the discussion categories, threads, posts,
// read markers and the moderators' actions on threads.
//
// Erasure: a member's posts are deleted (a thread is flat, so no other
// post hangs on one); a thread they started is deleted with it when no one
// else posted in it, and otherwise stays as a tombstone with no author and
// a neutral title, so that the others' posts keep their thread. Read
// markers are deleted; a moderator's actions stay recorded without who.
var discussionsTables = []Table{
	{
		Name:  "discussion_categories",
		About: "Discussion categories, managed by admins: a slug, a name, a description, an order, and whether archived.",
		Columns: []Column{
			notPersonal("id", "the category's number"),
			notPersonal("slug", "the category's name in links"),
			notPersonal("name", "written by staff"),
			notPersonal("description", "written by staff"),
			notPersonal("position", "the category's place in the list"),
			notPersonal("archived_at", "when staff archived it"),
			notPersonal("created_at", "when staff created it"),
		},
	},
	{
		Name: "discussion_posts",
		About: "The posts of discussion threads, each thread's first post being its opening text. A post deleted by its author or a moderator keeps its place without its text. " +
			"Erasure deletes the member's posts.",
		Owner: Owner{Where: "author_id = ?"}, Rows: DeleteRows, Order: 8,
		Columns: []Column{
			notPersonal("id", "the post's number"),
			notPersonal("thread_id", "the thread's number"),
			{Name: "author_id", Category: UniqueID, MemberRef: true, Purposes: []Purpose{Discuss}, Mandatory: "taking part in discussions", Visibility: Public,
				Retention: untilRemoved, Export: NotExported("an internal number; the posts themselves are exported"), Erasure: deleted},
			{Name: "body", Category: PublicContent, Purposes: []Purpose{Discuss}, Mandatory: "taking part in discussions", Visibility: Public,
				Retention: untilRemoved, Export: export, Erasure: deleted},
			{Name: "created_at", Category: PublicContent, Purposes: []Purpose{Discuss}, Mandatory: "taking part in discussions", Visibility: Public,
				Retention: untilRemoved, Export: export, Erasure: deleted},
			{Name: "edited_at", Category: PublicContent, Purposes: []Purpose{Discuss}, Visibility: Public,
				Retention: untilRemoved, Export: export, Erasure: deleted},
			{Name: "deleted_at", Category: PublicContent, Purposes: []Purpose{Discuss}, Visibility: Public,
				Retention: untilRemoved, Export: export, Erasure: deleted},
			{Name: "deleted_by", Category: PublicContent, Purposes: []Purpose{Discuss}, Visibility: Public,
				Retention: untilRemoved, Export: Exported("who deleted the post: its author or a moderator"), Erasure: deleted},
		},
	},
	{
		Name: "discussion_threads",
		About: "Discussion threads: a title, the category, pinned and locked flags. Erasure deletes the threads the member started, " +
			"except one others posted in, which stays as a tombstone: no author, and the title \"A thread by a deleted member\".",
		Owner: Owner{Where: "author_id = ?"}, Rows: DeleteRows, Order: 9,
		Tombstone: "EXISTS (SELECT 1 FROM discussion_posts p WHERE p.thread_id = discussion_threads.id AND (p.author_id IS NULL OR p.author_id <> ?))",
		Columns: []Column{
			notPersonal("id", "the thread's number"),
			notPersonal("category_id", "the category's number"),
			{Name: "author_id", Category: UniqueID, MemberRef: true, Purposes: []Purpose{Discuss}, Mandatory: "starting a thread", Visibility: Public,
				Retention: untilRemoved, Export: NotExported("an internal number; the threads themselves are exported"), Erasure: tombstoneNull},
			{Name: "title", Category: PublicContent, Purposes: []Purpose{Discuss}, Mandatory: "starting a thread", Visibility: Public,
				Retention: untilRemoved, Export: export, Erasure: Erasure{Action: Delete, Value: threadTombstone}},
			{Name: "created_at", Category: PublicContent, Purposes: []Purpose{Discuss}, Mandatory: "starting a thread", Visibility: Public,
				Retention: untilRemoved, Export: export, Erasure: Erasure{Action: Anonymise, Value: "created_at"}},
			notPersonal("last_post_at", "the time of the thread's latest post, by anyone"),
			notPersonal("pinned", "set by moderators"),
			notPersonal("locked", "set by moderators"),
		},
	},
	{
		Name:  "discussion_reads",
		About: "How far each member read each thread (the last post seen), to mark what is new to them. Seen by the member only; erasure deletes it.",
		Owner: ofMember, Rows: DeleteRows, Order: 5,
		Columns: []Column{
			memberRef("member_id"),
			{Name: "thread_id", Category: Browsing, Purposes: []Purpose{Discuss}, Visibility: Private,
				Retention: untilRemoved, Export: Exported("the number of the thread read, at /discussions/t/NUMBER"), Erasure: deleted},
			{Name: "last_post_id", Category: Browsing, Purposes: []Purpose{Discuss}, Visibility: Private,
				Retention: untilRemoved, Export: Exported("the number of the last post read"), Erasure: deleted},
		},
	},
	{
		Name: "discussion_events",
		About: "What moderators did to threads (pin, unpin, lock, unlock, delete a post), shown in the thread as done \"by a moderator\". " +
			"Erasure of a moderator's account removes who acted and keeps what was done.",
		Owner: Owner{Where: "actor_id = ?"}, Rows: UpdateRows, Order: 5,
		Columns: []Column{
			notPersonal("id", "the action's number"),
			notPersonal("thread_id", "the thread's number"),
			{Name: "actor_id", Category: UniqueID, MemberRef: true, Purposes: []Purpose{Discuss}, Visibility: Private,
				Retention: "until the thread is deleted, or the moderator's account is erased",
				Export:    NotExported("the moderator's account number; the thread shows only that a moderator acted"), Erasure: Erasure{Action: Delete, Value: "NULL"}},
			notPersonal("action", "what a moderator did, shown without who"),
			notPersonal("post_id", "the post a moderator deleted"),
			notPersonal("created_at", "when a moderator acted, shown without who"),
		},
	},
}
