package wxsim

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Sent is one write a client made, as GET /_sim/sent lists it, with names resolved.
type Sent struct {
	Seq      int       `json:"seq"`
	Time     time.Time `json:"time"`
	Kind     string    `json:"kind"`    // text, image, video, emoticon, file, app, revoke, addmember, invitemember, delmember, modtopic, createchatroom, verifyuser, remark
	Chat     string    `json:"chat"`    // the conversation's plain name: group name or nickname
	ChatID   string    `json:"chat_id"` // its raw id
	Text     string    `json:"text,omitempty"`
	MsgID    string    `json:"msg_id,omitempty"`
	LocalID  string    `json:"local_id,omitempty"`
	MediaID  string    `json:"media_id,omitempty"`
	FileName string    `json:"file_name,omitempty"`
	Size     int64     `json:"size,omitempty"`
	Members  []string  `json:"members,omitempty"`
	Of       string    `json:"of,omitempty"` // revoke: the revoked MsgID
}

func (s *Server) record(x Sent, chat *contact) {
	x.Seq = len(s.sent) + 1
	x.Time = s.now()
	if chat != nil {
		x.Chat, x.ChatID = chat.nick, chat.raw
	}
	s.sent = append(s.sent, x)
	if s.opts.OnSent != nil {
		s.opts.OnSent(x)
	}
}

// Sent returns everything clients sent, in order.
func (s *Server) Sent() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sent(nil), s.sent...)
}

// writeAllowed applies the write rate limit and the rate_1205 fault.
func (s *Server) writeAllowed() bool {
	return s.limiter.allow(s.now()) && !s.chance(s.faults.Rate1205)
}

type sendAnswer struct {
	BaseResponse baseResponse
	MsgID        string
	LocalID      string
}

type sendRequest struct {
	BaseRequest baseRequest
	Msg         struct {
		Type         flexInt
		Content      string
		FromUserName string
		ToUserName   string
		LocalID      flexString
		ClientMsgId  flexString
		MediaId      string
		EMoticonMd5  string
	}
}

// handleSendMsg serves the five send endpoints. Each send is echoed into the sender's own
// sync stream with From=@self, as the service does, and recorded for /_sim/sent.
func (s *Server) handleSendMsg(w http.ResponseWriter, r *http.Request) {
	var req sendRequest
	endpoint := strings.TrimPrefix(r.URL.Path, cgi)
	s.api(w, r, &req, &req.BaseRequest, func(sess *session) any {
		msg := req.Msg
		local := firstOf(string(msg.LocalID), string(msg.ClientMsgId))
		self := s.world.self
		to := sess.contactByName(msg.ToUserName, s.world)
		if to == nil || to == self || (msg.FromUserName != "" && msg.FromUserName != sess.userName(self)) {
			return sendAnswer{BaseResponse: baseResponse{Ret: retBadArg, ErrMsg: errMsgArgument}, LocalID: local}
		}
		if !s.writeAllowed() {
			return sendAnswer{BaseResponse: baseResponse{Ret: retTooOften, ErrMsg: errMsgTooOften}, LocalID: local}
		}
		m := s.newMsg(s.ids.nextMsgID())
		m.FromUserName, m.ToUserName = sess.userName(self), msg.ToUserName
		rec := Sent{MsgID: m.MsgId, LocalID: local}
		var item mediaItem
		if msg.MediaId != "" {
			var known bool
			if item, known = s.media[msg.MediaId]; !known {
				return sendAnswer{BaseResponse: baseResponse{Ret: retSysError}, LocalID: local} // a bad MediaId
			}
			rec.MediaID, rec.FileName, rec.Size = msg.MediaId, item.name, item.length()
		}
		switch endpoint {
		case "webwxsendmsg":
			m.MsgType = 1
			m.Content = encodeText(msg.Content)
			rec.Kind, rec.Text = "text", msg.Content
		case "webwxsendmsgimg", "webwxsendvideomsg":
			if msg.MediaId == "" {
				return sendAnswer{BaseResponse: baseResponse{Ret: retSysError}, LocalID: local}
			}
			s.media[m.MsgId] = item
			if endpoint == "webwxsendmsgimg" {
				m.MsgType, m.ImgStatus, m.ImgHeight, m.ImgWidth = 3, 2, 120, 90
				m.Content = encodeText(fmt.Sprintf(`<msg><img length="%d" hdlength="0" /><commenturl></commenturl></msg>`, item.length()))
				rec.Kind = "image"
			} else {
				m.MsgType, m.PlayLength = 43, 1
				m.Content = encodeText(fmt.Sprintf(`<msg><videomsg length="%d" playlength="1" fromusername="%s" /></msg>`, item.length(), self.raw))
				rec.Kind = "video"
			}
		case "webwxsendemoticon":
			// openwechat overwrites Type with 1: the endpoint, not Type, says sticker.
			sum := firstOf(msg.EMoticonMd5, item.md5)
			m.MsgType, m.ImgStatus, m.ImgHeight, m.ImgWidth = 47, 2, 210, 240
			m.Content = encodeText(fmt.Sprintf(`<msg><emoji fromusername="%s" tousername="%s" type="2" md5="%s" len="%d"></emoji></msg>`, self.raw, to.raw, sum, item.length()))
			s.media[m.MsgId] = mediaItem{gif: true, data: item.data}
			rec.Kind, rec.Text = "emoticon", sum
		case "webwxsendappmsg":
			x := msg.Content
			appType, _ := strconv.Atoi(tagValue(x, "type"))
			if !strings.Contains(x, "<appmsg") || appType == 0 {
				return sendAnswer{BaseResponse: baseResponse{Ret: retBadArg, ErrMsg: errMsgArgument}, LocalID: local}
			}
			attach := tagValue(x, "attachid")
			if appType == 6 {
				if item, ok := s.media[attach]; !ok || item.data == nil {
					return sendAnswer{BaseResponse: baseResponse{Ret: retSysError}, LocalID: local}
				}
			}
			m.MsgType, m.AppMsgType = 49, appType
			m.FileName, m.FileSize, m.MediaId = tagValue(x, "title"), tagValue(x, "totallen"), attach
			m.EncryFileName = encryFileName(m.FileName)
			m.Content = encodeText(x)
			rec.Kind, rec.Text, rec.FileName, rec.MediaID = "app", x, m.FileName, attach
			if appType == 6 {
				rec.Kind = "file"
			}
			rec.Size, _ = strconv.ParseInt(m.FileSize, 10, 64)
		}
		s.deliverMsg(sess, m, selMessage)
		sess.sent[m.MsgId] = sentMsg{at: s.now(), chat: to}
		s.record(rec, to)
		return sendAnswer{BaseResponse: success(), MsgID: m.MsgId, LocalID: local}
	})
}

// tagValue is the text of the first <tag>…</tag>; appmsg XML comes in both quote styles
// and field orders, so it is searched, not parsed.
func tagValue(x, tag string) string {
	i := strings.Index(x, "<"+tag+">")
	if i < 0 {
		return ""
	}
	x = x[i+len(tag)+2:]
	j := strings.Index(x, "</"+tag+">")
	if j < 0 {
		return ""
	}
	return strings.TrimSuffix(strings.TrimPrefix(x[:j], "<![CDATA["), "]]>")
}

// revokeWindow is how long a sent message can be revoked.
const revokeWindow = 2 * time.Minute

// handleRevoke revokes one of this session's own sends within two minutes; late or
// unknown revokes get Ret 1. The recall comes back into the stream as "你撤回了一条消息".
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	var req struct {
		BaseRequest baseRequest
		ClientMsgId flexString
		SvrMsgId    flexString
		ToUserName  string
	}
	s.api(w, r, &req, &req.BaseRequest, func(sess *session) any {
		id := string(req.SvrMsgId)
		sm, known := sess.sent[id]
		if !known || s.now().Sub(sm.at) > revokeWindow {
			return fail(retBadArg, "")
		}
		delete(sess.sent, id)
		m := s.newMsg(s.ids.nextMsgID())
		s.deliverMsg(sess, s.recallMsg(sess, m, msgRef{id: id, chat: sm.chat, from: s.world.self}), selMessage)
		s.record(Sent{Kind: "revoke", Of: id, LocalID: string(req.ClientMsgId)}, sm.chat)
		return struct {
			BaseResponse baseResponse
			Introduction string
			SysWording   string
		}{success(), "你可以撤回2分钟内发送的消息（部分旧版本微信不支持这个功能）。", ""}
	})
}

// chunkSize is the upload chunk size every client uses; all chunks but the last have it.
const chunkSize = 512 << 10

// upload collects the chunks of one file.
type upload struct {
	parts    [][]byte
	received int
}

type uploadRequest struct {
	BaseRequest   baseRequest
	ClientMediaId flexString
	TotalLen      flexInt
}

// handleUpload takes one chunk of webwxuploadmedia. Field order is free (openwechat
// shuffles it), chunks/chunk appear only for multi-chunk files, and the
// webwx_data_ticket field must equal the cookie of the same name — which only arrives if
// the client kept the cookie's parent domain. Only the last chunk's answer has MediaId.
func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request) {
	fields, data, err := readMultipart(r)
	if err != nil {
		writeRet(w, retBadArg, err.Error())
		return
	}
	var req uploadRequest
	if err := json.Unmarshal([]byte(fields["uploadmediarequest"]), &req); err != nil {
		writeRet(w, retBadArg, "uploadmediarequest: "+err.Error())
		return
	}
	chunks, chunk := 1, 0
	if v := fields["chunks"]; v != "" {
		chunks, _ = strconv.Atoi(v)
		chunk, _ = strconv.Atoi(fields["chunk"])
	}
	s.mu.Lock()
	answer := s.takeChunk(r, req, fields, data, chunks, chunk)
	s.mu.Unlock()
	writeJSON(w, answer)
}

func (s *Server) takeChunk(r *http.Request, req uploadRequest, fields map[string]string, data []byte, chunks, chunk int) any {
	sess, ret := s.authenticate(r, req.BaseRequest)
	if ret != 0 {
		return fail(ret, "")
	}
	if t := cookie(r, "webwx_data_ticket"); t == "" || t != fields["webwx_data_ticket"] || t != sess.dataTicket {
		return fail(retBadArg, "webwx_data_ticket not found")
	}
	if t := normalizeTicket(fields["pass_ticket"]); t != "" && t != decodedTicket(sess) {
		return fail(retTicket, "")
	}
	if chunks < 1 || chunk < 0 || chunk >= chunks || (chunk < chunks-1 && len(data) != chunkSize) {
		return fail(retBadArg, fmt.Sprintf("chunk %d of %d has %d bytes", chunk, chunks, len(data)))
	}
	key := string(req.ClientMediaId) + "|" + fields["name"]
	up := sess.uploads[key]
	if up == nil || len(up.parts) != chunks {
		up = &upload{parts: make([][]byte, chunks)}
		sess.uploads[key] = up
	}
	if up.parts[chunk] == nil {
		up.received++
	}
	up.parts[chunk] = data
	if up.received < chunks {
		return retOnly{success()}
	}
	delete(sess.uploads, key)
	var file []byte
	for _, p := range up.parts {
		file = append(file, p...)
	}
	if req.TotalLen > 0 && int(req.TotalLen) != len(file) {
		return fail(retBadArg, fmt.Sprintf("TotalLen %d but %d bytes arrived", req.TotalLen, len(file)))
	}
	sum := md5.Sum(file)
	id := s.ids.mediaID()
	s.media[id] = mediaItem{data: file, name: fields["name"], md5: hex.EncodeToString(sum[:])}
	thumbH, thumbW := 0, 0
	if fields["mediatype"] == "pic" {
		thumbH, thumbW = 100, 75
	}
	return struct {
		BaseResponse      baseResponse
		MediaId           string
		StartPos          int
		CDNThumbImgHeight int
		CDNThumbImgWidth  int
	}{success(), id, len(file), thumbH, thumbW}
}

// readMultipart reads every part, in whatever order: the file part is "filename".
func readMultipart(r *http.Request) (map[string]string, []byte, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, nil, fmt.Errorf("upload: %w", err)
	}
	fields := make(map[string]string)
	var data []byte
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return fields, data, nil
		}
		if err != nil {
			return nil, nil, fmt.Errorf("upload: %w", err)
		}
		if p.FormName() == "filename" {
			data, err = io.ReadAll(io.LimitReader(p, 32<<20))
		} else {
			var b []byte
			b, err = io.ReadAll(io.LimitReader(p, 1<<20))
			fields[p.FormName()] = string(b)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("upload: %w", err)
		}
	}
}

// handleCheckUpload answers the pre-upload check of big files: a file already uploaded
// (same MD5) gets its MediaId back and needs no upload.
func (s *Server) handleCheckUpload(w http.ResponseWriter, r *http.Request) {
	var req struct {
		BaseRequest baseRequest
		FileMd5     string
		FileName    string
	}
	s.api(w, r, &req, &req.BaseRequest, func(sess *session) any {
		id := ""
		for k, it := range s.media {
			if it.data != nil && it.md5 == strings.ToLower(req.FileMd5) && strings.HasPrefix(k, "@crypt_") {
				id = k
				break
			}
		}
		return struct {
			BaseResponse  baseResponse
			MediaId       string
			AESKey        string
			Signature     string
			EncryFileName string
		}{success(), id, s.ids.hex(32), s.ids.hex(64), encryFileName(req.FileName)}
	})
}
