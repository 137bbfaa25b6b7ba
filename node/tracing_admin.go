package node

import (
	"net/http"
	"strconv"
)

// The admin API's tracing endpoints, behind `sibyl settraceprobability`
// and `sibyl gettraceprobability` (nodetool's commands of those names).

func (n *Node) registerTracingAdmin(mux *http.ServeMux) {
	mux.HandleFunc("GET /tracing/probability", n.handleGetTraceProbability)
	mux.HandleFunc("POST /tracing/probability", n.handleSetTraceProbability)
}

// SetTraceProbability sets the share of this node's requests (0 to 1)
// that are traced without the client asking, as nodetool
// settraceprobability does. It is not persisted: a restart turns it off.
func (n *Node) SetTraceProbability(p float64) error { return n.tracing.SetProbability(p) }

// TraceProbability returns the current trace probability.
func (n *Node) TraceProbability() float64 { return n.tracing.Probability() }

func (n *Node) handleGetTraceProbability(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]float64{"probability": n.TraceProbability()})
}

// handleSetTraceProbability sets the probability to ?value=.
func (n *Node) handleSetTraceProbability(w http.ResponseWriter, r *http.Request) {
	p, err := strconv.ParseFloat(r.URL.Query().Get("value"), 64)
	if err == nil {
		err = n.SetTraceProbability(p)
	}
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid trace probability: " + err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]float64{"probability": p})
}
