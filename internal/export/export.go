// Package export makes a member's export of their data (GDPR Art. 15,
// right of access, and Art. 20, portability) as the data map
// (internal/datamap) declares it: a ZIP with one JSON file per data
// category, a CSV per table of several rows, the member's stored files,
// and a manifest that documents every field. Like erasure, it walks the
// map over the member's rows, so a column declared later is exported
// without code of its own. Other people's rows are read only where the
// map says they belong with the member's (Table.Others: the replies to
// their comments), and then masked as the map says (Column.Mask).
package export

import (
	"archive/zip"
	"bufio"
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"chorus/internal/chorus"
	"chorus/internal/datamap"
	"chorus/internal/files"
	"chorus/internal/mail"
	"chorus/internal/store"
)

// ValidFor is how long the download link of an export works.
const ValidFor = 7 * 24 * time.Hour

// Mailer queues a message in a transaction (mail.Service).
type Mailer interface {
	Send(ctx context.Context, tx *store.Tx, m mail.Message) error
}

// Service makes exports.
type Service struct {
	DB    *store.DB
	Files *files.Store
	Mail  Mailer
	// BaseURL is the public origin, for the link in the message.
	BaseURL string
	// TempDir holds the ZIP while it is written; "" is os.TempDir.
	TempDir string
	Logger  *slog.Logger
}

// BuildExport writes the ZIP of the export called id to the file store,
// marks it ready and emails the member the link. It is the export job's
// work; an export already ready, or gone with its member, is left alone.
func (s *Service) BuildExport(ctx context.Context, id string) error {
	e, err := s.DB.Export(ctx, id)
	if errors.Is(err, chorus.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if e.Status == store.ExportReady {
		return nil
	}
	m, err := s.DB.Member(ctx, e.MemberID)
	if errors.Is(err, chorus.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(s.TempDir, "export-*.zip")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	subject := datamap.Subject{ID: m.ID, Email: m.Email, Username: m.Username}
	if err := s.Write(ctx, f, subject); err != nil {
		return fmt.Errorf("export %s of member %d: %w", id, m.ID, err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	key := "exports/" + id + "/chorus-data-" + m.Username + ".zip"
	if err := s.Files.PutFile(ctx, key, f.Name(), "application/zip"); err != nil {
		return err
	}
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		expires := tx.Now.Add(ValidFor)
		if err := tx.ExportReady(ctx, id, key, expires); err != nil {
			return err
		}
		return s.Mail.Send(ctx, tx, mail.Message{To: m.Email, MemberID: m.ID, Content: mail.ExportReady{
			Username: m.Username, Link: s.BaseURL + "/settings/data/export/" + id, Expires: expires}})
	})
	if err != nil {
		_ = s.Files.Delete(ctx, key)
		return err
	}
	s.Logger.Info("data export ready", "member", m.ID, "export", id)
	return nil
}

// DeleteExpired deletes the files of exports whose link expired before
// now, and returns how many it deleted.
func (s *Service) DeleteExpired(ctx context.Context, now time.Time) (int, error) {
	old, err := s.DB.ExpiredExports(ctx, now)
	if err != nil {
		return 0, err
	}
	for i, e := range old {
		if err := s.Files.Delete(ctx, e.FileKey); err != nil {
			return i, err
		}
		if err := s.DB.ForgetExportFile(ctx, e.ID); err != nil {
			return i, err
		}
	}
	return len(old), nil
}

// walked returns the tables whose rows of a member the export reads, in
// the data map's order, with their exported columns.
func walked(dialect string) []datamap.Table {
	var out []datamap.Table
	for _, t := range datamap.For(dialect) {
		if t.Owner.Where == "" || t.Rows == datamap.NoRows {
			continue
		}
		var cols []datamap.Column
		for _, c := range t.Columns {
			if c.Export.Include {
				cols = append(cols, c)
			}
		}
		if len(cols) > 0 {
			t.Columns = cols
			out = append(out, t)
		}
	}
	slices.SortStableFunc(out, func(a, b datamap.Table) int { return cmp.Compare(b.Order, a.Order) })
	return out
}

// oneRow reports whether the table holds one row per member (the
// account itself), which the category files show well enough.
func oneRow(t datamap.Table) bool { return t.Owner.Where == "id = ?" }

// CategoryFile names the ZIP entry of a category's values.
func CategoryFile(c datamap.Category) string { return string(c) + ".json" }

// TableFile names the ZIP entry of a table's rows.
func TableFile(table string) string { return "tables/" + table + ".csv" }

// OthersFile names the ZIP entry of the rows of other people that belong
// with the member's own rows of table (the replies to their comments).
func OthersFile(table string) string { return "others/" + table + ".csv" }

// writeOthers writes, as CSV, the rows of other people that t.Others
// selects for the member: only the exported columns, and in place of
// each column with a Mask the value it allows ("another member" unless
// its person made it public).
func (s *Service) writeOthers(ctx context.Context, zw *zip.Writer, name string, t datamap.Table, subject datamap.Subject) error {
	w, err := zw.Create(name)
	if err != nil {
		return err
	}
	var header, exprs []string
	for _, c := range t.Columns {
		switch {
		case c.Mask != nil:
			header = append(header, c.Mask.As)
			exprs = append(exprs, "COALESCE("+c.Mask.Shown+", '"+strings.ReplaceAll(c.Mask.Masked, "'", "''")+"')")
		case c.Export.Include:
			header = append(header, c.Name)
			exprs = append(exprs, c.Name)
		}
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return err
	}
	where, args := t.Others.Bind(subject)
	q := `SELECT ` + strings.Join(exprs, ", ") + ` FROM ` + t.Name + ` WHERE ` + where
	err = s.DB.EachRow(ctx, q, args, func(_ []string, values []any) error {
		rec := make([]string, len(values))
		for i, v := range values {
			rec[i] = text(v)
		}
		return cw.Write(rec)
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// Scope limits an export to some data categories and, in tables whose
// rows have a time (a created_at column), to the rows of a period: what an
// authority may lawfully ask for (a legal request), and nothing more. The
// account's own row is not limited by the period: its values are current.
type Scope struct {
	Categories []datamap.Category
	// From and To bound the rows' created_at, both inclusive.
	From, To time.Time
}

// TimeColumn names the column that dates a table's rows for Scope.
const TimeColumn = "created_at"

// allows reports whether the scope includes the category.
func (sc *Scope) allows(c datamap.Category) bool {
	return sc == nil || slices.Contains(sc.Categories, c)
}

// dated reports whether the scope's period limits t's rows.
func (sc *Scope) dated(t datamap.Table) bool {
	return sc != nil && !oneRow(t) && t.Column(TimeColumn) != nil
}

// Write writes the ZIP of the subject's data to w.
func (s *Service) Write(ctx context.Context, w io.Writer, subject datamap.Subject) error {
	return s.write(ctx, w, subject, nil)
}

// WriteScoped writes the ZIP of the subject's data within scope to w: only
// the columns of the scope's categories, only the rows of its period.
func (s *Service) WriteScoped(ctx context.Context, w io.Writer, subject datamap.Subject, scope Scope) error {
	return s.write(ctx, w, subject, &scope)
}

func (s *Service) write(ctx context.Context, w io.Writer, subject datamap.Subject, scope *Scope) error {
	zw := zip.NewWriter(w)
	var tables []datamap.Table
	for _, t := range walked(string(s.DB.Dialect())) {
		var cols []datamap.Column
		for _, c := range t.Columns {
			if scope.allows(c.Category) {
				cols = append(cols, c)
			}
		}
		if len(cols) > 0 {
			// Whether rows are dated is read from the full declaration.
			if scope.dated(t) {
				t.Owner = scopedOwner(t.Owner, scope)
			}
			t.Columns = cols
			tables = append(tables, t)
		}
	}
	var entries []string

	var categories []datamap.Category
	for _, t := range tables {
		for _, c := range t.Columns {
			if !slices.Contains(categories, c.Category) {
				categories = append(categories, c.Category)
			}
		}
	}
	slices.Sort(categories)
	for _, cat := range categories {
		name := CategoryFile(cat)
		if err := s.writeCategory(ctx, zw, name, cat, tables, subject); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		entries = append(entries, name)
	}
	for _, t := range tables {
		if oneRow(t) {
			continue
		}
		name := TableFile(t.Name)
		if err := s.writeTable(ctx, zw, name, t, subject); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		entries = append(entries, name)
	}
	for _, t := range datamap.For(string(s.DB.Dialect())) {
		if t.Others.Where == "" {
			continue
		}
		name := OthersFile(t.Name)
		if err := s.writeOthers(ctx, zw, name, t, subject); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		entries = append(entries, name)
	}
	stored, err := s.writeFiles(ctx, zw, tables, subject)
	if err != nil {
		return err
	}
	entries = append(entries, stored...)
	if err := writeManifest(zw, tables, string(s.DB.Dialect()), subject, entries, scope); err != nil {
		return err
	}
	return zw.Close()
}

func selectOf(t datamap.Table, cols []datamap.Column, subject datamap.Subject) (string, []any) {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	where, args := t.Owner.Bind(subject)
	return `SELECT ` + strings.Join(names, ", ") + ` FROM ` + t.Name + ` WHERE ` + where, args
}

// writeCategory writes {"category": ..., "rows": [{"table": ..., "values": {...}}, ...]}
// one row at a time.
func (s *Service) writeCategory(ctx context.Context, zw *zip.Writer, name string, cat datamap.Category, tables []datamap.Table, subject datamap.Subject) error {
	w, err := zw.Create(name)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	head, _ := json.Marshal(cat)
	fmt.Fprintf(bw, "{\"category\": %s,\n\"rows\": [", head)
	first := true
	for _, t := range tables {
		var cols []datamap.Column
		for _, c := range t.Columns {
			if c.Category == cat {
				cols = append(cols, c)
			}
		}
		if len(cols) == 0 {
			continue
		}
		q, args := selectOf(t, cols, subject)
		// Each row is {"table": ..., "values": {column: value, ...}},
		// written straight to the entry: the keys are encoded once per
		// table, and no row is held after it is written.
		var keys [][]byte
		tableHead := append(append([]byte(`{"table":`), jsonString(t.Name)...), `,"values":{`...)
		var line []byte
		err := s.DB.EachRow(ctx, q, args, func(names []string, values []any) error {
			if keys == nil {
				for _, n := range names {
					keys = append(keys, append(jsonString(n), ':'))
				}
			}
			line = line[:0]
			if first {
				line = append(line, "\n  "...)
			} else {
				line = append(line, ",\n  "...)
			}
			first = false
			line = append(line, tableHead...)
			for i, v := range values {
				if i > 0 {
					line = append(line, ',')
				}
				line = append(line, keys[i]...)
				var err error
				if line, err = appendJSON(line, v); err != nil {
					return err
				}
			}
			line = append(line, "}}"...)
			_, err := bw.Write(line)
			return err
		})
		if err != nil {
			return err
		}
	}
	if _, err := io.WriteString(bw, "\n]}\n"); err != nil {
		return err
	}
	return bw.Flush()
}

// jsonString encodes s as a JSON string (RFC 8259 §7).
func jsonString(s string) []byte {
	b, _ := json.Marshal(s) // a string always encodes
	return b
}

// appendJSON appends the JSON encoding of a value read from the database:
// NULL as null, numbers and booleans as such, times in RFC 3339 (UTC),
// text as a string.
func appendJSON(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case string:
		return append(b, jsonString(v)...), nil
	case time.Time:
		b = append(b, '"')
		b = v.UTC().AppendFormat(b, time.RFC3339Nano)
		return append(b, '"'), nil
	}
	enc, err := json.Marshal(v)
	if err != nil {
		return b, err
	}
	return append(b, enc...), nil
}

// writeTable writes the table's exported columns of the member's rows as
// CSV (RFC 4180) with a header line.
func (s *Service) writeTable(ctx context.Context, zw *zip.Writer, name string, t datamap.Table, subject datamap.Subject) error {
	w, err := zw.Create(name)
	if err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	header := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		header[i] = c.Name
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	q, args := selectOf(t, t.Columns, subject)
	err = s.DB.EachRow(ctx, q, args, func(_ []string, values []any) error {
		rec := make([]string, len(values))
		for i, v := range values {
			rec[i] = text(v)
		}
		return cw.Write(rec)
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// text formats a value for CSV: times in RFC 3339, NULL as nothing.
func text(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case time.Time:
		return v.UTC().Format(time.RFC3339Nano)
	case string:
		return v
	}
	return fmt.Sprint(v)
}

// writeFiles copies the member's stored files that exported columns point
// at under files/, by their key, and returns the entries written.
func (s *Service) writeFiles(ctx context.Context, zw *zip.Writer, tables []datamap.Table, subject datamap.Subject) ([]string, error) {
	var entries []string
	for _, t := range tables {
		for _, c := range t.Columns {
			if c.Files == "" {
				continue
			}
			where, args := t.Owner.Bind(subject)
			keys, err := s.DB.Strings(ctx, `SELECT `+c.Name+` FROM `+t.Name+` WHERE (`+where+`) AND `+c.Name+` <> ''`, args...)
			if err != nil {
				return entries, err
			}
			for _, key := range keys {
				var objects []string
				switch c.Files {
				case datamap.TrackFiles:
					// The original upload; the stream and artwork are made from it.
					objects = []string{key}
				case datamap.PictureFiles:
					// A picture's folder holds its sizes only (KEY-96.jpg, ...).
					err := s.Files.List(ctx, path.Dir(key)+"/", func(o files.Object) error {
						objects = append(objects, o.Key)
						return nil
					})
					if err != nil {
						return entries, err
					}
				default:
					return entries, fmt.Errorf("no handler for stored files of kind %q (%s.%s)", c.Files, t.Name, c.Name)
				}
				for _, o := range objects {
					name := "files/" + o
					if err := s.copyFile(ctx, zw, name, o); err != nil {
						return entries, fmt.Errorf("%s: %w", name, err)
					}
					entries = append(entries, name)
				}
			}
		}
	}
	return entries, nil
}

func (s *Service) copyFile(ctx context.Context, zw *zip.Writer, name, key string) error {
	r, err := s.Files.Open(ctx, key)
	if err != nil {
		return err
	}
	defer r.Close()
	// Audio and images are compressed already.
	w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store, Modified: r.ModTime()})
	if err != nil {
		return err
	}
	// A small buffer of our own: the reader's WriteTo would take a
	// megabyte for each file.
	_, err = io.CopyBuffer(w, struct{ io.Reader }{r}, make([]byte, 32<<10))
	return err
}

// Field documents one exported field in the manifest.
type Field struct {
	Table      string   `json:"table"`
	Column     string   `json:"column"`
	Category   string   `json:"category"`
	File       string   `json:"file"`
	Purposes   []string `json:"purposes"`
	Visibility string   `json:"visibility"`
	Retention  string   `json:"retention"`
	Export     string   `json:"export"`
	StoredFile string   `json:"stored_files,omitempty"`
}

// Manifest is manifest.json: what the ZIP holds and what each field is.
type Manifest struct {
	About       string    `json:"about"`
	Username    string    `json:"username"`
	Fields      []Field   `json:"fields"`
	StoredFiles []Stored  `json:"stored_files"`
	NotExported []Omitted `json:"not_exported"`
	// Others documents the files of other people's rows that belong
	// with the member's (others/TABLE.csv), and how they are masked.
	Others  []OthersDoc `json:"others"`
	Entries []string    `json:"entries"`
}

// OthersDoc documents one file of other people's rows.
type OthersDoc struct {
	File   string            `json:"file"`
	Table  string            `json:"table"`
	About  string            `json:"about"`
	Masked map[string]string `json:"masked"`
}

// Stored documents a kind of stored file.
type Stored struct {
	Kind      string `json:"kind"`
	Category  string `json:"category"`
	Retention string `json:"retention"`
	Export    string `json:"export"`
	Included  bool   `json:"included"`
}

// Omitted is personal data Chorus holds that the export leaves out, and why.
type Omitted struct {
	Table  string `json:"table"`
	Column string `json:"column"`
	Why    string `json:"why"`
}

// scopedOwner adds the scope's period to o's condition.
func scopedOwner(o datamap.Owner, scope *Scope) datamap.Owner {
	where, args := o.Where, o.Args
	return datamap.Owner{
		Where: "(" + where + ") AND " + TimeColumn + " BETWEEN ? AND ?",
		Args: func(sub datamap.Subject) []any {
			var a []any
			if args != nil {
				a = args(sub)
			} else {
				_, a = datamap.Owner{Where: where}.Bind(sub)
			}
			return append(a, scope.From.UTC(), scope.To.UTC())
		},
	}
}

func writeManifest(zw *zip.Writer, tables []datamap.Table, dialect string, subject datamap.Subject, entries []string, scope *Scope) error {
	m := Manifest{
		About: "Your data on Chorus (GDPR Art. 15 and 20). Each CATEGORY.json holds the values of one data category " +
			"(https://ethyca.github.io/fideslang/taxonomy/data_categories/), tables/ a CSV of each kind of record you have several of, " +
			"files/ your stored files. The fields below say what each value is, why it is kept and for how long.",
		Username: subject.Username, Entries: entries,
	}
	if scope != nil {
		m.About = fmt.Sprintf("An export limited to a legal request's scope: the data categories %v, and rows dated from %s to %s. ",
			scope.Categories, scope.From.UTC().Format(time.RFC3339), scope.To.UTC().Format(time.RFC3339)) + m.About
	}
	for _, t := range tables {
		for _, c := range t.Columns {
			f := Field{Table: t.Name, Column: c.Name, Category: string(c.Category), File: CategoryFile(c.Category),
				Visibility: string(c.Visibility), Retention: c.Retention, Export: c.Export.Note, StoredFile: string(c.Files)}
			for _, p := range c.Purposes {
				f.Purposes = append(f.Purposes, string(p))
			}
			m.Fields = append(m.Fields, f)
		}
	}
	for _, t := range datamap.For(dialect) {
		for _, c := range t.Columns {
			if c.Personal() && !c.Export.Include && scope.allows(c.Category) {
				m.NotExported = append(m.NotExported, Omitted{Table: t.Name, Column: c.Name, Why: c.Export.Note})
			}
		}
	}
	for _, t := range datamap.For(dialect) {
		if t.Others.Where == "" {
			continue
		}
		doc := OthersDoc{File: OthersFile(t.Name), Table: t.Name, Masked: map[string]string{},
			About: "Rows of other members that belong with yours (such as the replies to your comments). Their personal data is masked unless they made it public."}
		for _, c := range t.Columns {
			if c.Mask != nil {
				doc.Masked[c.Mask.As] = "shown as \"" + c.Mask.Masked + "\" unless that person made it public"
			}
		}
		m.Others = append(m.Others, doc)
	}
	for _, f := range datamap.Files {
		m.StoredFiles = append(m.StoredFiles, Stored{Kind: string(f.Kind), Category: string(f.Category), Retention: f.Retention,
			Export: f.Export.Note, Included: f.Export.Include})
	}
	w, err := zw.Create("manifest.json")
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(m)
}

// Categories returns the data categories an export can hold on dialect,
// sorted: the choices of a Scope.
func Categories(dialect string) []datamap.Category {
	var out []datamap.Category
	for _, t := range walked(dialect) {
		for _, c := range t.Columns {
			if !slices.Contains(out, c.Category) {
				out = append(out, c.Category)
			}
		}
	}
	slices.Sort(out)
	return out
}
