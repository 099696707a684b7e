package ghtransport

import "net/http"

// AcceptedPermissions quotes GitHub's X-Accepted-GitHub-Permissions header,
// which names the fine-grained permission a refused request needed, as a
// parenthesis to append to an explanation: " (GitHub says it accepts:
// webhooks=read)". It is "" when GitHub sent none.
func AcceptedPermissions(resp *http.Response) string {
	if resp == nil {
		return ""
	}
	if h := resp.Header.Get("X-Accepted-GitHub-Permissions"); h != "" {
		return " (GitHub says it accepts: " + h + ")"
	}
	return ""
}
