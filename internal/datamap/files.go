package datamap

// The kinds of stored files. A column whose Files names one of them holds
// the key of such files; erasure deletes them with the row.
const (
	// TrackFiles are a track's folder in the file store,
	// tracks/RANDOM/: the original upload, the stream MP3 and the cover
	// artwork in three sizes. Erasure deletes them through the publishing
	// service, as deleting a track from the studio does.
	TrackFiles FileKind = "track files"
	// PictureFiles are a member's or an artist's picture, KEY-96.jpg,
	// KEY-300.jpg and KEY-1200.jpg under members/ or artists/, resized
	// from the upload, which is not kept (so its metadata is gone).
	PictureFiles FileKind = "picture"
	// MailFiles are messages written as DATA/mail/NAME.eml when no SMTP
	// relay is set.
	MailFiles FileKind = "mail file"
	// ExportFiles are the ZIPs of members' exports of their data,
	// exports/RANDOM/chorus-data.zip in the file store.
	ExportFiles FileKind = "data export"
)

// File is one kind of stored file.
type File struct {
	Kind FileKind
	// Where is where the files are: a prefix in the file store, or a
	// folder of the data directory.
	Where      string
	Category   Category
	Visibility Visibility
	Retention  string
	Export     Export
	Erasure    Erasure
	Processors []Processor
}

// Files declares every kind of stored file.
var Files = []File{
	{Kind: TrackFiles, Where: "file store: tracks/", Category: PublicContent, Visibility: Public,
		Retention: untilErased + " (or deletes the track)", Export: exportFile, Erasure: deleted, Processors: []Processor{ObjectStore}},
	{Kind: PictureFiles, Where: "file store: members/ and artists/", Category: Content, Visibility: Chosen,
		Retention: untilErased + " (or replaces or removes the picture)", Export: exportFile, Erasure: deleted, Processors: []Processor{ObjectStore}},
	{Kind: MailFiles, Where: "data directory: mail/", Category: PrivateContent, Visibility: Private,
		Retention: "until the account is erased; an admin may delete them sooner", Export: NotExported("the messages hold single-use links"), Erasure: deleted},
	{Kind: ExportFiles, Where: "file store: exports/", Category: PrivateContent, Visibility: Private,
		Retention: exportKept, Export: NotExported("the export itself"), Erasure: deleted, Processors: []Processor{ObjectStore}},
}
