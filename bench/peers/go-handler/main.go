// Bench peer: the same custom handler in Go (net/http, encoding/json), the
// shape of the official custom-handler samples, doing the same JSON work as
// bin/handler for broadcast and negotiate. Built with the standard library
// only: GO111MODULE=off go build -o <out> main.go
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
)

type envelope struct {
	Data     map[string]json.RawMessage `json:"Data"`
	Metadata map[string]json.RawMessage `json:"Metadata"`
}

type response struct {
	Outputs     map[string]interface{} `json:"Outputs"`
	Logs        []string               `json:"Logs"`
	ReturnValue interface{}            `json:"ReturnValue"`
}

func res(status int, body interface{}) map[string]interface{} {
	b, _ := json.Marshal(body)
	return map[string]interface{}{"statusCode": status,
		"headers": map[string]string{"Content-Type": "application/json"}, "body": string(b)}
}

func broadcast(env *envelope) response {
	out := response{Outputs: map[string]interface{}{}, Logs: []string{}}
	var req struct {
		Body string `json:"Body"`
	}
	json.Unmarshal(env.Data["req"], &req)
	var body map[string]json.RawMessage
	if err := json.Unmarshal([]byte(req.Body), &body); err != nil || body == nil {
		out.Outputs["res"] = res(400, map[string]string{"error": "request body must be a JSON object"})
		return out
	}
	msg, ok := body["message"]
	if !ok {
		out.Outputs["res"] = res(400, map[string]string{"error": "missing field 'message'"})
		return out
	}
	target := "newNotification"
	if t, ok := body["target"]; ok {
		json.Unmarshal(t, &target)
	}
	item := map[string]interface{}{"target": target, "arguments": []json.RawMessage{msg}}
	recipient := "all"
	n := 0
	for _, k := range []string{"connectionId", "userId", "groupName"} {
		if v, ok := body[k]; ok {
			item[k] = v
			recipient = k
			n++
		}
	}
	if n > 1 {
		out.Outputs["res"] = res(400, map[string]string{"error": "give at most one recipient"})
		return out
	}
	out.Outputs["signalRMessages"] = []interface{}{item}
	out.Outputs["res"] = res(200, map[string]interface{}{"sent": true, "target": target, "recipient": recipient})
	out.Logs = append(out.Logs, "broadcast: queued 1 SignalR message '"+target+"'")
	return out
}

func negotiate(env *envelope) response {
	out := response{Outputs: map[string]interface{}{}, Logs: []string{}}
	raw := []byte(env.Data["connectionInfo"])
	var info struct {
		URL         string `json:"url"`
		AccessToken string `json:"accessToken"`
	}
	for i := 0; i < 3; i++ {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			break
		}
		raw = []byte(s)
	}
	json.Unmarshal(raw, &info)
	out.Outputs["res"] = res(200, map[string]string{"url": info.URL, "accessToken": info.AccessToken})
	out.Logs = append(out.Logs, "negotiate: issued connection info")
	return out
}

func handle(fn func(*envelope) response, name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		var env envelope
		if err != nil || json.Unmarshal(b, &env) != nil {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(400)
			w.Write([]byte(`{"error":"malformed envelope"}`))
			return
		}
		out, _ := json.Marshal(fn(&env))
		fmt.Printf("{\"function\":%q,\"invocationId\":%q}\n", name, r.Header.Get("X-Azure-Functions-InvocationId"))
		w.Header().Set("Content-Type", "application/json")
		w.Write(out)
	}
}

func main() {
	port := os.Getenv("FUNCTIONS_CUSTOMHANDLER_PORT")
	if port == "" {
		port = os.Getenv("FUNCTIONS_HTTPWORKER_PORT")
	}
	if port == "" {
		fmt.Fprintln(os.Stderr, "FUNCTIONS_CUSTOMHANDLER_PORT is not set")
		os.Exit(1)
	}
	http.HandleFunc("/broadcast", handle(broadcast, "broadcast"))
	http.HandleFunc("/negotiate", handle(negotiate, "negotiate"))
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) })
	if err := http.ListenAndServe("127.0.0.1:"+port, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}
