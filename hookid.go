package main

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/hook-redeliver/hook-redeliver/internal/input"
)

// hookList is the hook-id input: ids, or every hook of the target.
type hookList struct {
	all bool
	ids []int64
}

// several reports whether the run handles more than one hook, each then
// with a checkpoint of its own under a name the user gave.
func (h hookList) several() bool { return h.all || len(h.ids) > 1 }

func (h hookList) String() string {
	if h.all {
		return "all"
	}
	s := make([]string, len(h.ids))
	for i, id := range h.ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(s, ",")
}

// parseHookID reads the hook-id input for the org and repository inputs
// given: ids, webhook URLs, or all. It returns what the log should say of a
// URL it read, and an *input.Error for each part it cannot take.
func parseHookID(v, org, repository string) (hookList, []input.Note, []error) {
	var (
		h     hookList
		notes []input.Note
		errs  []error
	)
	bad := func(format string, args ...any) { errs = append(errs, input.Bad("hook-id", format, args...)) }
	appTarget := org == "" && repository == ""
	switch v = strings.TrimSpace(v); {
	case appTarget && v != "":
		if u, ok := parseHookURL(v); ok {
			set := "org to " + u.org
			if u.org == "" {
				set = "repository to " + u.owner + "/" + u.repo
			}
			bad("%q is a webhook of %s: set %s as well (with neither org nor repository set, the action handles the GitHub App's own webhook, which has no hook id)", v, u.where(), set)
			break
		}
		bad("the GitHub App webhook has no hook id; set org or repository to target an organization or repository webhook, or leave hook-id empty")
	case !appTarget && v == "":
		bad("required with org or repository: the webhook's id (from its settings page URL), a list such as 123,456, or all")
	case strings.EqualFold(v, "all"):
		h.all = true
	case v != "":
		for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '\n' || r == ' ' || r == '\r' || r == '\t' }) {
			if id, err := strconv.ParseInt(f, 10, 64); err == nil && id > 0 {
				h.ids = append(h.ids, id)
				continue
			}
			if !strings.HasPrefix(f, "https://") && !strings.HasPrefix(f, "http://") {
				bad("want a webhook id such as 12345678, a list such as 123,456, or all; got %q", f)
				continue
			}
			u, ok := parseHookURL(f)
			if !ok {
				bad("want a webhook id such as 12345678, or the URL of its settings page or REST API such as https://github.com/organizations/octo-org/settings/hooks/12345678 or https://api.github.com/repos/octo-org/octo-repo/hooks/12345678; got %q", f)
				continue
			}
			if err := u.agrees(org, repository); err != "" {
				bad("%q %s", f, err)
				continue
			}
			h.ids = append(h.ids, u.id)
			notes = append(notes, input.Note{Input: "hook-id", Text: fmt.Sprintf("took webhook id %d (%s) from %s", u.id, u.where(), f)})
		}
	default:
		h.ids = []int64{0}
	}
	return h, notes, errs
}

// hookURL is a webhook named by a pasted URL: its id, and the organization
// or the repository the URL says it belongs to.
type hookURL struct {
	id               int64
	org, owner, repo string
}

// parseHookURL reads a webhook's id from the URL of its settings page or of
// its REST API, on github.com, GHE.com or Enterprise Server:
//
//	https://github.com/organizations/octo-org/settings/hooks/123456
//	https://github.com/octo-org/octo-repo/settings/hooks/123456
//	https://api.github.com/orgs/octo-org/hooks/123456
//	https://ghes.example.com/api/v3/repos/octo-org/octo-repo/hooks/123456/deliveries
//
// Whatever follows the id (a path such as /deliveries, a ?tab= query, a
// #fragment) is ignored. It reports false for anything else.
func parseHookURL(s string) (hookURL, bool) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return hookURL{}, false
	}
	seg := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(seg) >= 2 && seg[0] == "api" && seg[1] == "v3" { // Enterprise Server's REST API
		seg = seg[2:]
	}
	at := func(i int, want string) bool { return i < len(seg) && seg[i] == want }
	var h hookURL
	var idAt int
	switch {
	case at(0, "organizations") && at(2, "settings") && at(3, "hooks"):
		h.org, idAt = seg[1], 4
	case at(0, "orgs") && at(2, "hooks"):
		h.org, idAt = seg[1], 3
	case at(0, "orgs") && at(2, "settings") && at(3, "hooks"): // GitHub's newer /orgs/ pages
		h.org, idAt = seg[1], 4
	case at(0, "repos") && at(3, "hooks"):
		h.owner, h.repo, idAt = seg[1], seg[2], 4
	case at(2, "settings") && at(3, "hooks"):
		h.owner, h.repo, idAt = seg[0], seg[1], 4
	default:
		return hookURL{}, false
	}
	if idAt >= len(seg) {
		return hookURL{}, false
	}
	id, err := strconv.ParseInt(seg[idAt], 10, 64)
	if err != nil || id <= 0 {
		return hookURL{}, false
	}
	h.id = id
	if h.org != "" && !loginRE.MatchString(h.org) || h.org == "" && (!loginRE.MatchString(h.owner) || !repoRE.MatchString(h.repo)) {
		return hookURL{}, false
	}
	return h, true
}

// where names the webhook's owner: "organization acme" or "repository o/r".
func (h hookURL) where() string {
	if h.org != "" {
		return "organization " + h.org
	}
	return "repository " + h.owner + "/" + h.repo
}

// agrees checks the URL against the org and repository inputs (logins and
// names are case-insensitive on GitHub). It returns what contradicts, or "".
func (h hookURL) agrees(org, repository string) string {
	switch {
	case org != "" && h.org != "" && !strings.EqualFold(org, h.org):
		return fmt.Sprintf("is a webhook of organization %s, but org is %s", h.org, org)
	case org != "" && h.org == "":
		return fmt.Sprintf("is a webhook of repository %s/%s, but org is %s (for a repository webhook set repository instead)", h.owner, h.repo, org)
	case repository != "" && h.org != "":
		return fmt.Sprintf("is a webhook of organization %s, but repository is %s (for an organization webhook set org instead)", h.org, repository)
	case repository != "" && !strings.EqualFold(repository, h.owner+"/"+h.repo):
		return fmt.Sprintf("is a webhook of repository %s/%s, but repository is %s", h.owner, h.repo, repository)
	}
	return ""
}
