package fakegithub

import "strings"

// route is one endpoint. Patterns are written like GitHub's docs with "{}"
// for a path parameter; a hand-written matcher (rather than http.ServeMux)
// lets every miss, including a wrong method, land in Unexpected().
type route struct {
	method  string
	pattern string
	jwt     bool // App JWT only
	handle  func(c *call) reply
	segs    []string
}

var routes = compileRoutes([]route{
	{method: "GET", pattern: "/app", jwt: true, handle: (*call).getApp},
	{method: "GET", pattern: "/app/hook/deliveries", jwt: true, handle: (*call).listAppDeliveries},
	{method: "POST", pattern: "/app/hook/deliveries/{}/attempts", jwt: true, handle: (*call).redeliverApp},
	{method: "GET", pattern: "/app/installations", jwt: true, handle: (*call).listInstallations},
	{method: "POST", pattern: "/app/installations/{}/access_tokens", jwt: true, handle: (*call).createInstallationToken},
	{method: "GET", pattern: "/orgs/{}/installation", jwt: true, handle: (*call).orgInstallation},
	{method: "GET", pattern: "/repos/{}/{}/installation", jwt: true, handle: (*call).repoInstallation},

	{method: "GET", pattern: "/orgs/{}/hooks", handle: (*call).listOrgHooks},
	{method: "GET", pattern: "/orgs/{}/hooks/{}/deliveries", handle: (*call).listOrgDeliveries},
	{method: "POST", pattern: "/orgs/{}/hooks/{}/deliveries/{}/attempts", handle: (*call).redeliverOrg},
	{method: "GET", pattern: "/repos/{}/{}/hooks", handle: (*call).listRepoHooks},
	{method: "GET", pattern: "/repos/{}/{}/hooks/{}/deliveries", handle: (*call).listRepoDeliveries},
	{method: "POST", pattern: "/repos/{}/{}/hooks/{}/deliveries/{}/attempts", handle: (*call).redeliverRepo},

	{method: "GET", pattern: "/repos/{}/{}/actions/variables/{}", handle: (*call).getVariable},
	{method: "POST", pattern: "/repos/{}/{}/actions/variables", handle: (*call).createVariable},
	{method: "PATCH", pattern: "/repos/{}/{}/actions/variables/{}", handle: (*call).updateVariable},
	{method: "DELETE", pattern: "/repos/{}/{}/actions/variables/{}", handle: (*call).deleteVariable},
	{method: "POST", pattern: "/repos/{}/{}/dispatches", handle: (*call).dispatch},

	{method: "GET", pattern: "/orgs/{}/actions/variables/{}", handle: (*call).getOrgVariable},
	{method: "POST", pattern: "/orgs/{}/actions/variables", handle: (*call).createOrgVariable},
	{method: "PATCH", pattern: "/orgs/{}/actions/variables/{}", handle: (*call).updateOrgVariable},
	{method: "DELETE", pattern: "/orgs/{}/actions/variables/{}", handle: (*call).deleteOrgVariable},
})

func compileRoutes(rs []route) []route {
	for i := range rs {
		rs[i].segs = strings.Split(strings.TrimPrefix(rs[i].pattern, "/"), "/")
	}
	return rs
}

// match finds the route for method and path (which starts with "/") and
// returns its path parameters in order.
func match(method, path string) (*route, []string) {
	segs := strings.Split(path[1:], "/")
	for i := range routes {
		rt := &routes[i]
		if rt.method != method || len(rt.segs) != len(segs) {
			continue
		}
		var params []string
		ok := true
		for j, p := range rt.segs {
			switch {
			case p == "{}":
				if segs[j] == "" {
					ok = false
				}
				params = append(params, segs[j])
			case p != segs[j]:
				ok = false
			}
			if !ok {
				break
			}
		}
		if ok {
			return rt, params
		}
	}
	return nil, nil
}
