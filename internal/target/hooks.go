package target

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hook-redeliver/hook-redeliver/internal/input"
)

// Hooks is the hook-id input: ids, or every hook of the target.
type Hooks struct {
	All bool
	IDs []int64
}

// Several reports whether the run handles more than one hook, each then
// with a checkpoint of its own under a name the user gave.
func (h Hooks) Several() bool { return h.All || len(h.IDs) > 1 }

func (h Hooks) String() string {
	if h.All {
		return "all"
	}
	s := make([]string, len(h.IDs))
	for i, id := range h.IDs {
		s[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(s, ",")
}

// parseHookID reads the hook-id input for the org and repository inputs
// given: ids, webhook URLs, or all. It returns what the log should say of a
// URL it read, and an *input.Error for each part it cannot take.
func parseHookID(v, org, repository string) (Hooks, []input.Note, []error) {
	var (
		h     Hooks
		notes []input.Note
		errs  []error
	)
	bad := func(format string, args ...any) { errs = append(errs, input.Bad("hook-id", format, args...)) }
	appTarget := org == "" && repository == ""
	// Judged whole, before it is split: each line of a key alone may look
	// like nothing in particular.
	if m := input.Misplaced("hook-id", v); m != "" {
		bad("%s", m)
		return h, nil, errs
	}
	switch v = strings.TrimSpace(v); {
	case appTarget && v != "":
		if u, ok := parseHookURL(v); ok {
			set := "org to " + u.org
			if u.org == "" {
				set = "repository to " + u.owner + "/" + u.repo
			}
			bad("%s is a webhook of %s: set %s as well (with neither org nor repository set, the action handles the GitHub App's own webhook, which has no hook id)", input.Value("hook-id", v), u.where(), set)
			break
		}
		bad("the GitHub App webhook has no hook id; set org or repository to target an organization or repository webhook, or leave hook-id empty")
	case !appTarget && v == "":
		bad("required with org or repository: the webhook's id (from its settings page URL), a list such as 123,456, or all")
	case strings.EqualFold(v, "all"):
		h.All = true
	case v != "":
		for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '\n' || r == ' ' || r == '\r' || r == '\t' }) {
			if id, err := strconv.ParseInt(f, 10, 64); err == nil && id > 0 {
				h.IDs = append(h.IDs, id)
				continue
			}
			if !strings.HasPrefix(f, "https://") && !strings.HasPrefix(f, "http://") {
				bad("want a webhook id such as 12345678, a list such as 123,456, or all; got %s", input.Value("hook-id", f))
				continue
			}
			u, ok := parseHookURL(f)
			if !ok {
				bad("want a webhook id such as 12345678, or the URL of its settings page or REST API such as https://github.com/organizations/octo-org/settings/hooks/12345678 or https://api.github.com/repos/octo-org/octo-repo/hooks/12345678; got %s", input.Value("hook-id", f))
				continue
			}
			if err := u.agrees(org, repository); err != "" {
				bad("%s %s", input.Value("hook-id", f), err)
				continue
			}
			h.IDs = append(h.IDs, u.id)
			notes = append(notes, input.Note{Input: "hook-id", Text: fmt.Sprintf("took webhook id %d (%s) from %s", u.id, u.where(), f)})
		}
	default: // the App's own webhook: one, with no id
		h.IDs = []int64{0}
	}
	return h, notes, errs
}
