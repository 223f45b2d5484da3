package wx

import (
	"encoding/json"
	"fmt"
)

// SyncResponse is the answer of webwxsync (PROTOCOL.md §5.3). AddMsgList is kept as raw JSON
// so that every message keeps its exact bytes (Message.Raw); DecodeSyncResponse decodes the
// entries as well.
type SyncResponse struct {
	BaseResponse           BaseResponse      `json:"BaseResponse"`
	AddMsgCount            int               `json:"AddMsgCount"`
	AddMsgList             []json.RawMessage `json:"AddMsgList"`
	ModContactCount        int               `json:"ModContactCount"`
	ModContactList         []RawContact      `json:"ModContactList"`
	DelContactCount        int               `json:"DelContactCount"`
	DelContactList         []DelContact      `json:"DelContactList"`
	ModChatRoomMemberCount int               `json:"ModChatRoomMemberCount"`
	ModChatRoomMemberList  []json.RawMessage `json:"ModChatRoomMemberList"` // always empty so far
	Profile                *RawProfile       `json:"Profile"`
	// ContinueFlag != 0: call webwxsync again at once, before the next synccheck.
	ContinueFlag int     `json:"ContinueFlag"`
	SyncKey      SyncKey `json:"SyncKey"`
	// SKey replaces the session's skey when not empty (note the spelling: SKey in answers,
	// Skey in BaseRequest).
	SKey         string  `json:"SKey"`
	SyncCheckKey SyncKey `json:"SyncCheckKey"`

	// Messages are the AddMsgList entries, decoded and as received, in order.
	Messages []SyncEntry `json:"-"`
	// Warnings are the parts of the answer that did not decode and were left out (a contact
	// of an unexpected shape). The batch is still good; log them.
	Warnings []error `json:"-"`
}

// DelContact is one DelContactList entry: the contact is gone (or self left the group).
type DelContact struct {
	UserName    string `json:"UserName"`
	ContactFlag int    `json:"ContactFlag"`
}

// RawProfile is the Profile of a sync answer: the account's own changes. BitFlag 190 means
// changed, 0 unchanged.
type RawProfile struct {
	BitFlag           int        `json:"BitFlag"`
	UserName          ProfileBuf `json:"UserName"`
	NickName          ProfileBuf `json:"NickName"`
	BindUin           FlexInt    `json:"BindUin"`
	BindEmail         ProfileBuf `json:"BindEmail"`
	BindMobile        ProfileBuf `json:"BindMobile"`
	Status            int        `json:"Status"`
	Sex               int        `json:"Sex"`
	PersonalCard      int        `json:"PersonalCard"`
	Alias             string     `json:"Alias"`
	HeadImgUpdateFlag int        `json:"HeadImgUpdateFlag"`
	HeadImgURL        string     `json:"HeadImgUrl"`
	Signature         string     `json:"Signature"`
}

// ProfileBuf is the {"Buff": "…"} wrapper Profile puts around its strings.
type ProfileBuf struct {
	Buff string `json:"Buff"`
}

// SyncEntry is one AddMsgList entry: decoded, and as received (for Message.Raw and the log).
type SyncEntry struct {
	Raw  RawMessage
	JSON json.RawMessage
	// Err is set when the entry did not decode cleanly (a field of an unexpected type). Msg
	// Raw then holds what did decode; the entry is still worth logging, classified as unknown at
	// worst, rather than dropping a message.
	Err error
}

// syncResponseWire splits the answer into its fields first, so that one field of an
// unexpected shape costs that field (or that contact), not the whole batch: a batch that never
// decodes would be fetched again and again with the same SyncKey.
type syncResponseWire struct {
	BaseResponse           json.RawMessage `json:"BaseResponse"`
	AddMsgCount            json.RawMessage `json:"AddMsgCount"`
	AddMsgList             json.RawMessage `json:"AddMsgList"`
	ModContactCount        json.RawMessage `json:"ModContactCount"`
	ModContactList         json.RawMessage `json:"ModContactList"`
	DelContactCount        json.RawMessage `json:"DelContactCount"`
	DelContactList         json.RawMessage `json:"DelContactList"`
	ModChatRoomMemberCount json.RawMessage `json:"ModChatRoomMemberCount"`
	ModChatRoomMemberList  json.RawMessage `json:"ModChatRoomMemberList"`
	Profile                json.RawMessage `json:"Profile"`
	ContinueFlag           json.RawMessage `json:"ContinueFlag"`
	SyncKey                json.RawMessage `json:"SyncKey"`
	SKey                   json.RawMessage `json:"SKey"`
	SyncCheckKey           json.RawMessage `json:"SyncCheckKey"`
}

// DecodeSyncResponse decodes a webwxsync answer and each of its AddMsgList entries, in order.
// NewMsgId is read as text (FlexString), never through float64: it exceeds 2^53.
//
// What must be right for the batch to be usable — BaseResponse, AddMsgList as a list,
// ContinueFlag, SyncKey, SyncCheckKey — fails the call (wrapping ErrMalformed). A contact or
// count of an unexpected shape is dropped and reported in SyncResponse.Warnings; an AddMsgList
// entry that decodes badly is kept with SyncEntry.Err set. A non-zero BaseResponse.Ret is not
// a decoding error: the answer comes back with only BaseResponse filled, and its Err method
// turns the Ret into an errors.Is-able *RetError.
func DecodeSyncResponse(b []byte) (*SyncResponse, error) {
	if resp, ok := decodeSyncFast(b); ok {
		return resp, nil
	}
	return decodeSyncTolerant(b)
}

// syncResponseFast is the whole answer decoded in one pass. A well-formed answer — nearly
// all of them — costs two scans of its bytes (validation, decoding) plus two per message
// entry, instead of the seven of the field-by-field path; anything that does not decode
// cleanly falls back to that path, which knows what to keep.
type syncResponseFast struct {
	BaseResponse           BaseResponse      `json:"BaseResponse"`
	AddMsgCount            int               `json:"AddMsgCount"`
	AddMsgList             []fastEntry       `json:"AddMsgList"`
	ModContactCount        int               `json:"ModContactCount"`
	ModContactList         []RawContact      `json:"ModContactList"`
	DelContactCount        int               `json:"DelContactCount"`
	DelContactList         []DelContact      `json:"DelContactList"`
	ModChatRoomMemberCount int               `json:"ModChatRoomMemberCount"`
	ModChatRoomMemberList  []json.RawMessage `json:"ModChatRoomMemberList"`
	Profile                *RawProfile       `json:"Profile"`
	ContinueFlag           int               `json:"ContinueFlag"`
	SyncKey                SyncKey           `json:"SyncKey"`
	SKey                   string            `json:"SKey"`
	SyncCheckKey           SyncKey           `json:"SyncCheckKey"`
}

// fastEntry is an AddMsgList entry decoded in place: its bytes kept, a field of the wrong
// type noted (not failing the answer), exactly as the tolerant path treats entries.
type fastEntry struct {
	json json.RawMessage
	raw  RawMessage
	err  error
}

func (e *fastEntry) UnmarshalJSON(b []byte) error {
	e.json = append(json.RawMessage(nil), b...)
	if !decodeRawMessage(b, &e.raw) {
		e.raw = RawMessage{}
		e.err = json.Unmarshal(b, &e.raw)
	}
	return nil
}

// decodeSyncFast decodes a well-formed answer in one pass; ok is false when anything in it
// did not decode cleanly (the tolerant path then decides what is fatal, what is a warning).
func decodeSyncFast(b []byte) (*SyncResponse, bool) {
	var w syncResponseFast
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, false
	}
	if w.BaseResponse.Ret != 0 {
		return &SyncResponse{BaseResponse: w.BaseResponse}, true
	}
	resp := &SyncResponse{
		BaseResponse: w.BaseResponse, AddMsgCount: w.AddMsgCount, ModContactCount: w.ModContactCount,
		ModContactList: w.ModContactList, DelContactCount: w.DelContactCount, DelContactList: w.DelContactList,
		ModChatRoomMemberCount: w.ModChatRoomMemberCount, ModChatRoomMemberList: w.ModChatRoomMemberList,
		Profile: w.Profile, ContinueFlag: w.ContinueFlag, SyncKey: w.SyncKey, SKey: w.SKey, SyncCheckKey: w.SyncCheckKey,
	}
	// The tolerant path appends contacts one by one: an empty list is nil there too.
	if len(resp.ModContactList) == 0 {
		resp.ModContactList = nil
	}
	if len(resp.DelContactList) == 0 {
		resp.DelContactList = nil
	}
	if w.AddMsgList != nil {
		resp.AddMsgList = make([]json.RawMessage, len(w.AddMsgList))
	}
	resp.Messages = make([]SyncEntry, len(w.AddMsgList))
	for i := range w.AddMsgList {
		e := &w.AddMsgList[i]
		resp.AddMsgList[i] = e.json
		resp.Messages[i] = SyncEntry{Raw: e.raw, JSON: e.json}
		if e.err != nil {
			resp.Messages[i].Err = fmt.Errorf("webwxsync: AddMsgList[%d]: %w: %w", i, ErrMalformed, e.err)
		}
	}
	return resp, true
}

// decodeSyncTolerant decodes field by field, so that a field of an unexpected shape costs that
// field (or that contact), not the batch.
func decodeSyncTolerant(b []byte) (*SyncResponse, error) {
	const op = "webwxsync"
	var w syncResponseWire
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, fmt.Errorf("%s: %w: %w", op, ErrMalformed, err)
	}
	resp := &SyncResponse{}
	fatal := func(field string, raw json.RawMessage, dst any) error {
		if len(raw) == 0 {
			return nil // absent: the zero value
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			return fmt.Errorf("%s: %w: %s: %w", op, ErrMalformed, field, err)
		}
		return nil
	}
	warn := func(field string, raw json.RawMessage, dst any) bool {
		if len(raw) == 0 {
			return true
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			resp.Warnings = append(resp.Warnings, fmt.Errorf("%s: %w: %s: %w", op, ErrMalformed, field, err))
			return false
		}
		return true
	}
	if err := fatal("BaseResponse", w.BaseResponse, &resp.BaseResponse); err != nil {
		return nil, err
	}
	if resp.BaseResponse.Ret != 0 {
		// Nothing else of a refused sync is worth reading; Err reports it.
		return resp, nil
	}
	for _, f := range []struct {
		name string
		raw  json.RawMessage
		dst  any
	}{
		{"AddMsgList", w.AddMsgList, &resp.AddMsgList},
		{"ContinueFlag", w.ContinueFlag, &resp.ContinueFlag},
		{"SyncKey", w.SyncKey, &resp.SyncKey},
		{"SyncCheckKey", w.SyncCheckKey, &resp.SyncCheckKey},
	} {
		if err := fatal(f.name, f.raw, f.dst); err != nil {
			return nil, err
		}
	}
	warn("AddMsgCount", w.AddMsgCount, &resp.AddMsgCount)
	warn("ModContactCount", w.ModContactCount, &resp.ModContactCount)
	warn("DelContactCount", w.DelContactCount, &resp.DelContactCount)
	warn("ModChatRoomMemberCount", w.ModChatRoomMemberCount, &resp.ModChatRoomMemberCount)
	warn("ModChatRoomMemberList", w.ModChatRoomMemberList, &resp.ModChatRoomMemberList)
	warn("SKey", w.SKey, &resp.SKey)
	if len(w.Profile) > 0 && string(w.Profile) != "null" {
		var p RawProfile
		if warn("Profile", w.Profile, &p) {
			resp.Profile = &p
		}
	}

	// A contact that decodes only partly is dropped: half a MemberList would read as members
	// leaving.
	var contacts []json.RawMessage
	if warn("ModContactList", w.ModContactList, &contacts) {
		for i, c := range contacts {
			var rc RawContact
			if warn(fmt.Sprintf("ModContactList[%d]", i), c, &rc) {
				resp.ModContactList = append(resp.ModContactList, rc)
			}
		}
	}
	var deleted []json.RawMessage
	if warn("DelContactList", w.DelContactList, &deleted) {
		for i, d := range deleted {
			var dc DelContact
			if warn(fmt.Sprintf("DelContactList[%d]", i), d, &dc) {
				resp.DelContactList = append(resp.DelContactList, dc)
			}
		}
	}

	resp.Messages = make([]SyncEntry, 0, len(resp.AddMsgList))
	for i, rawEntry := range resp.AddMsgList {
		e := SyncEntry{JSON: rawEntry}
		if err := json.Unmarshal(rawEntry, &e.Raw); err != nil {
			e.Err = fmt.Errorf("%s: AddMsgList[%d]: %w: %w", op, i, ErrMalformed, err)
		}
		resp.Messages = append(resp.Messages, e)
	}
	return resp, nil
}

// Err is nil when BaseResponse.Ret is 0, else a *RetError for "webwxsync" that errors.Is maps
// to ErrLoggedOut, ErrSessionInvalid, ErrCookieInvalid or ErrTooOften.
func (r *SyncResponse) Err() error {
	if r.BaseResponse.Ret == 0 {
		return nil
	}
	return &RetError{Op: "webwxsync", Ret: r.BaseResponse.Ret, ErrMsg: r.BaseResponse.ErrMsg}
}
