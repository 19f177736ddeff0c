package web

import (
	"testing"

	"chorus/internal/datamap"
)

// TestYourDataFollowsTheDataMap holds the "Your data" page to the data
// map: every personal column of members is either an item of the page or
// said to be made by Chorus, and nothing else is named.
func TestYourDataFollowsTheDataMap(t *testing.T) {
	declared := map[string]bool{}
	for _, c := range datamap.Lookup("members").Columns {
		if !c.Personal() {
			continue
		}
		declared[c.Name] = true
		_, shown := memberItems[c.Name]
		_, derived := memberDerived[c.Name]
		if shown == derived {
			t.Errorf("members.%s: shown %v, derived %v; want exactly one", c.Name, shown, derived)
		}
	}
	for name := range memberItems {
		if !declared[name] {
			t.Errorf("the page shows members.%s, which the data map does not declare as personal", name)
		}
	}
	for name := range memberDerived {
		if !declared[name] {
			t.Errorf("members.%s is said to be derived, but the data map does not declare it as personal", name)
		}
	}
	for name, it := range memberItems {
		if it.Clear != "" && datamap.Field("members", name).Mandatory != "" {
			t.Errorf("members.%s is mandatory but the page offers to delete it", name)
		}
	}
}
