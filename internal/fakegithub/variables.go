package fakegithub

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// maxVariableValue is GitHub's limit on an Actions variable's value.
const maxVariableValue = 48 << 10

const (
	variablesDocs = "https://docs.github.com/rest/actions/variables"
	dispatchDocs  = "https://docs.github.com/rest/repos/repos#create-a-repository-dispatch-event"
)

type variable struct {
	name             string
	value            string
	created, updated time.Time
}

// repoKey is how repositories are keyed: GitHub logins and names are
// case-insensitive.
func repoKey(owner, repo string) string { return strings.ToLower(owner + "/" + repo) }

// SetVariable sets a repository's Actions variable without validation, for
// test setup. Names are case-insensitive and stored upper-case.
func (s *Server) SetVariable(owner, repo, name, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.nowLocked()
	vars := s.repoVariables(owner, repo)
	upper := strings.ToUpper(name)
	if v := vars[upper]; v != nil {
		v.value, v.updated = value, now
		return
	}
	vars[upper] = &variable{name: upper, value: value, created: now, updated: now}
}

// Variable returns a repository's Actions variable.
func (s *Server) Variable(owner, repo, name string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.variables[repoKey(owner, repo)][strings.ToUpper(name)]
	if v == nil {
		return "", false
	}
	return v.value, true
}

// DeleteVariable removes a repository's Actions variable, for test setup; it
// reports whether the variable existed.
func (s *Server) DeleteVariable(owner, repo, name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	vars := s.variables[repoKey(owner, repo)]
	if vars[strings.ToUpper(name)] == nil {
		return false
	}
	delete(vars, strings.ToUpper(name))
	return true
}

func (s *Server) repoVariables(owner, repo string) map[string]*variable {
	k := repoKey(owner, repo)
	vars := s.variables[k]
	if vars == nil {
		vars = make(map[string]*variable)
		s.variables[k] = vars
		s.noteRepoLocked(owner + "/" + repo)
	}
	return vars
}

func variablesNeed(owner, repo, level string) need {
	return need{owner: owner, repo: repo, perm: "actions_variables", level: level, scopes: []string{"repo"}}
}

// validVariableName applies GitHub's rules: letters, digits and underscores,
// not starting with a digit or with GITHUB_.
func validVariableName(name string) bool {
	if name == "" || (name[0] >= '0' && name[0] <= '9') || strings.HasPrefix(strings.ToUpper(name), "GITHUB_") {
		return false
	}
	for _, r := range name {
		if !(r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')) {
			return false
		}
	}
	return true
}

// checkValue applies GitHub's rules to a value: present, at most 48 KiB.
func checkValue(value *string) *reply {
	if value == nil || *value == "" {
		rep := validationReply("ActionsVariable", "value", "missing_field", variablesDocs)
		return &rep
	}
	if len(*value) > maxVariableValue || !utf8.ValidString(*value) {
		rep := validationReply("ActionsVariable", "value", "invalid", variablesDocs)
		return &rep
	}
	return nil
}

func (c *call) getVariable() reply {
	owner, repo, name := c.params[0], c.params[1], c.params[2]
	if rep := c.authorize(variablesNeed(owner, repo, "read")); rep != nil {
		return *rep
	}
	v := c.s.variables[repoKey(owner, repo)][strings.ToUpper(name)]
	if v == nil {
		return notFound()
	}
	return jsonReply(http.StatusOK, map[string]string{
		"name":       v.name,
		"value":      v.value,
		"created_at": githubTime(v.created),
		"updated_at": githubTime(v.updated),
	})
}

type variableBody struct {
	Name  *string `json:"name"`
	Value *string `json:"value"`
}

func (c *call) createVariable() reply {
	owner, repo := c.params[0], c.params[1]
	if rep := c.authorize(variablesNeed(owner, repo, "write")); rep != nil {
		return *rep
	}
	var body variableBody
	if err := json.Unmarshal(c.body, &body); err != nil {
		return errorReply(http.StatusBadRequest, "Problems parsing JSON", docsURL)
	}
	if body.Name == nil || !validVariableName(*body.Name) {
		return validationReply("ActionsVariable", "name", "invalid", variablesDocs)
	}
	if rep := checkValue(body.Value); rep != nil {
		return *rep
	}
	vars := c.s.repoVariables(owner, repo)
	upper := strings.ToUpper(*body.Name)
	if vars[upper] != nil {
		return errorReply(http.StatusConflict, "Already exists - Variable already exists", variablesDocs+"#create-a-repository-variable")
	}
	vars[upper] = &variable{name: upper, value: *body.Value, created: c.now, updated: c.now}
	return reply{status: http.StatusCreated, body: []byte("{}")}
}

func (c *call) updateVariable() reply {
	owner, repo, name := c.params[0], c.params[1], c.params[2]
	if rep := c.authorize(variablesNeed(owner, repo, "write")); rep != nil {
		return *rep
	}
	vars := c.s.variables[repoKey(owner, repo)]
	v := vars[strings.ToUpper(name)]
	if v == nil {
		return notFound()
	}
	var body variableBody
	if err := json.Unmarshal(c.body, &body); err != nil {
		return errorReply(http.StatusBadRequest, "Problems parsing JSON", docsURL)
	}
	if body.Value != nil {
		if rep := checkValue(body.Value); rep != nil {
			return *rep
		}
	}
	if body.Name != nil && !strings.EqualFold(*body.Name, v.name) {
		if !validVariableName(*body.Name) {
			return validationReply("ActionsVariable", "name", "invalid", variablesDocs)
		}
		upper := strings.ToUpper(*body.Name)
		if vars[upper] != nil {
			return errorReply(http.StatusConflict, "Already exists - Variable already exists", variablesDocs+"#update-a-repository-variable")
		}
		delete(vars, v.name)
		v.name = upper
		vars[upper] = v
	}
	if body.Value != nil {
		v.value = *body.Value
	}
	v.updated = c.now
	return reply{status: http.StatusNoContent}
}

// deleteVariable serves DELETE: 204, or 404 for a missing variable.
func (c *call) deleteVariable() reply {
	owner, repo, name := c.params[0], c.params[1], c.params[2]
	if rep := c.authorize(variablesNeed(owner, repo, "write")); rep != nil {
		return *rep
	}
	vars := c.s.variables[repoKey(owner, repo)]
	if vars[strings.ToUpper(name)] == nil {
		return notFound()
	}
	delete(vars, strings.ToUpper(name))
	return reply{status: http.StatusNoContent}
}

// dispatch serves POST /repos/{owner}/{repo}/dispatches.
func (c *call) dispatch() reply {
	owner, repo := c.params[0], c.params[1]
	if rep := c.authorize(need{owner: owner, repo: repo, perm: "contents", level: "write", scopes: []string{"repo"}}); rep != nil {
		return *rep
	}
	var body struct {
		EventType     string          `json:"event_type"`
		ClientPayload json.RawMessage `json:"client_payload"`
	}
	if err := json.Unmarshal(c.body, &body); err != nil {
		return errorReply(http.StatusBadRequest, "Problems parsing JSON", docsURL)
	}
	if body.EventType == "" || utf8.RuneCountInString(body.EventType) > 100 {
		return validationReply("Repository", "event_type", "invalid", dispatchDocs)
	}
	var payload json.RawMessage
	if p := bytes.TrimSpace(body.ClientPayload); len(p) > 0 && !bytes.Equal(p, []byte("null")) {
		var props map[string]json.RawMessage
		if err := json.Unmarshal(p, &props); err != nil {
			return validationReply("Repository", "client_payload", "invalid", dispatchDocs)
		}
		if len(props) > 10 {
			return errorReply(http.StatusUnprocessableEntity, "No more than 10 properties are allowed; "+strconv.Itoa(len(props))+" were supplied.", dispatchDocs)
		}
		payload = append(json.RawMessage(nil), p...)
	}
	c.s.dispatches = append(c.s.dispatches, Dispatch{Owner: owner, Repo: repo, EventType: body.EventType, ClientPayload: payload})
	return reply{status: http.StatusNoContent}
}
