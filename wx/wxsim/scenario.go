package wxsim

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"gopkg.in/yaml.v3"
)

// Scenario is a simulated world plus what happens in it (DESIGN.md §4). Names are plain
// Unicode; the simulator renders them the way the protocol does.
type Scenario struct {
	Self         Person          `yaml:"self" json:"self"`
	Friends      []Person        `yaml:"friends" json:"friends"`
	Official     []Person        `yaml:"official" json:"official"`
	Groups       []Group         `yaml:"groups" json:"groups"`
	WebForbidden bool            `yaml:"web_forbidden" json:"web_forbidden"` // login ends in <ret>1203 unless desktop mode
	Timeline     []TimelineEntry `yaml:"timeline" json:"timeline"`
	Load         *LoadSpec       `yaml:"load" json:"load"`
}

// Person is the self account, a friend or an official account.
type Person struct {
	Nickname  string `yaml:"nickname" json:"nickname"`
	Remark    string `yaml:"remark" json:"remark"`
	Alias     string `yaml:"alias" json:"alias"`
	Uin       int64  `yaml:"uin" json:"uin"` // self only; others' Uin is 0 on the wire
	Sex       int    `yaml:"sex" json:"sex"` // 0 unknown, 1 male, 2 female
	Province  string `yaml:"province" json:"province"`
	City      string `yaml:"city" json:"city"`
	Signature string `yaml:"signature" json:"signature"`
}

// Group is a group chat the self account is in.
type Group struct {
	Name        string   `yaml:"name" json:"name"`
	Owner       string   `yaml:"owner" json:"owner"`               // "self" or a member's nickname; "" = first member
	Saved       *bool    `yaml:"saved" json:"saved"`               // default true; false: absent from webwxgetcontact
	SelfDisplay string   `yaml:"self_display" json:"self_display"` // the bot's display name in this group
	Members     []Member `yaml:"members" json:"members"`           // besides self
}

// Member is a group member; a nickname equal to a friend's is that friend.
type Member struct {
	Nickname string `yaml:"nickname" json:"nickname"`
	Display  string `yaml:"display" json:"display"`
}

// TimelineEntry is an inject body delivered At after the timeline starts.
type TimelineEntry struct {
	At        time.Duration `yaml:"at" json:"at"`
	Injection `yaml:",inline"`
}

// LoadSpec describes generated traffic: Groups groups of Members members each, Rate
// messages per second in total, kinds drawn with the weights of Mix (text, image, voice,
// video, emoticon, link, file, redpacket, transfer, recall, join, leave).
type LoadSpec struct {
	Groups  int                `yaml:"groups" json:"groups"`
	Members int                `yaml:"members" json:"members"`
	Rate    float64            `yaml:"rate" json:"rate"`
	Mix     map[string]float64 `yaml:"mix" json:"mix"`
}

// Injection is one /_sim/inject body: a high-level Kind turned into the exact protocol
// shape, or Raw, an AddMsgList entry delivered as given after {{…}} substitution.
type Injection struct {
	Kind  string `yaml:"kind" json:"kind"`
	Chat  string `yaml:"chat" json:"chat"`   // group name, nickname, remark or raw id
	From  string `yaml:"from" json:"from"`   // sender (group member), or "self" for the owner's phone
	Text  string `yaml:"text" json:"text"`   // text, friend-request greeting
	Label string `yaml:"label" json:"label"` // names this message for recall/{{msgid:…}}
	Of    string `yaml:"of" json:"of"`       // recall: the label of the recalled message

	Members []string `yaml:"members" json:"members"` // join, leave
	Via     string   `yaml:"via" json:"via"`         // join: "invite" (default) or "qr"

	Title   string  `yaml:"title" json:"title"`     // link, miniprogram
	Desc    string  `yaml:"desc" json:"desc"`       // link, miniprogram
	URL     string  `yaml:"url" json:"url"`         // link, miniprogram
	App     string  `yaml:"app" json:"app"`         // miniprogram display name
	Name    string  `yaml:"name" json:"name"`       // file name; rename: the new group name
	Size    int64   `yaml:"size" json:"size"`       // file size in bytes
	Amount  string  `yaml:"amount" json:"amount"`   // transfer, e.g. "0.10"
	Lat     float64 `yaml:"lat" json:"lat"`         // location
	Lng     float64 `yaml:"lng" json:"lng"`         // location
	Place   string  `yaml:"place" json:"place"`     // location label
	Card    string  `yaml:"card" json:"card"`       // card: whose card
	Seconds int     `yaml:"seconds" json:"seconds"` // voice, video length

	Raw RawJSON `yaml:"raw" json:"raw"`
}

// RawJSON is a JSON object given inline in YAML or JSON.
type RawJSON []byte

// UnmarshalJSON keeps the bytes: NewMsgId must not pass through float64.
func (r *RawJSON) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*r = nil
		return nil
	}
	*r = append((*r)[:0], b...)
	return nil
}

// UnmarshalYAML converts the YAML mapping to JSON.
func (r *RawJSON) UnmarshalYAML(n *yaml.Node) error {
	var v any
	if err := n.Decode(&v); err != nil {
		return err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("raw: %w", err)
	}
	*r = b
	return nil
}

//go:embed scenarios/demo.yaml
var demoYAML []byte

// DemoScenario returns a fresh copy of the built-in scenario (scenarios/demo.yaml).
func DemoScenario() (*Scenario, error) {
	sc, err := ParseScenario(demoYAML)
	if err != nil {
		return nil, fmt.Errorf("demo scenario: %w", err)
	}
	return sc, nil
}

// LoadScenario reads a scenario file (YAML; JSON is valid YAML).
func LoadScenario(path string) (*Scenario, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load scenario: %w", err)
	}
	sc, err := ParseScenario(b)
	if err != nil {
		return nil, fmt.Errorf("load scenario %s: %w", path, err)
	}
	return sc, nil
}

// ParseScenario parses YAML or JSON. Unknown keys are errors, so typos do not silently
// produce an empty world.
func ParseScenario(data []byte) (*Scenario, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var sc Scenario
	if err := dec.Decode(&sc); err != nil {
		return nil, fmt.Errorf("parse scenario: %w", err)
	}
	if sc.Self.Nickname == "" {
		return nil, fmt.Errorf("parse scenario: self.nickname is empty")
	}
	return &sc, nil
}
