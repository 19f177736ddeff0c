// Package chorus holds the domain of a free-music platform: members,
// artists, albums, tracks, licences, and the errors every layer speaks.
// It imports no storage or transport package.
package chorus

import (
	"errors"
	"sort"
	"strings"
)

// Domain errors. Handlers map them to HTTP statuses; wrap them with %w to add
// context for logs. Not found is always ErrNotFound, never a nil result.
var (
	ErrNotFound     = errors.New("not found")
	ErrForbidden    = errors.New("forbidden")
	ErrUnauthorized = errors.New("login required")
	ErrConflict     = errors.New("conflict")
	ErrTooLarge     = errors.New("too large")
)

// InvalidError reports input a person must correct. Fields maps a form
// field name to a message for that field; Message is a summary. Both are
// safe to show to the person who sent the input.
type InvalidError struct {
	Message string
	Fields  map[string]string
}

// Invalid returns an *InvalidError with a summary message and no field errors.
func Invalid(message string) *InvalidError { return &InvalidError{Message: message} }

// Add records a message for a field; the first message per field wins.
func (e *InvalidError) Add(field, message string) {
	if e.Fields == nil {
		e.Fields = map[string]string{}
	}
	if _, ok := e.Fields[field]; !ok {
		e.Fields[field] = message
	}
}

// Err returns e if it holds any message, or nil, so validators can end
// with `return v.Err()`.
func (e *InvalidError) Err() error {
	if e == nil || (e.Message == "" && len(e.Fields) == 0) {
		return nil
	}
	return e
}

// Summary is the error for a person: the message, then each field's
// message, without the field names.
func (e *InvalidError) Summary() string { return e.join(" ", false) }

func (e *InvalidError) Error() string {
	if len(e.Fields) == 0 {
		return e.Message
	}
	return e.join("; ", true)
}

// join writes the message and the field messages in the order of the
// field names, each after its name when named is true.
func (e *InvalidError) join(sep string, named bool) string {
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys)+1)
	if e.Message != "" {
		parts = append(parts, e.Message)
	}
	for _, k := range keys {
		if named {
			parts = append(parts, k+": "+e.Fields[k])
		} else {
			parts = append(parts, e.Fields[k])
		}
	}
	return strings.Join(parts, sep)
}

// SafeError carries a message that may be shown to the user beside an
// underlying error that is only logged.
type SafeError struct {
	Kind error  // one of the Err* values above, for the status code
	Safe string // shown to the user
	Err  error  // logged, never shown
}

func (e *SafeError) Error() string {
	if e.Err != nil {
		return e.Safe + ": " + e.Err.Error()
	}
	return e.Safe
}

// Unwrap exposes both the kind and the cause to errors.Is and errors.As.
func (e *SafeError) Unwrap() []error { return []error{e.Kind, e.Err} }
