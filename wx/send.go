package wx

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"mime"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// SendResult identifies a sent message: the server's MsgID (logged, and how the echo is
// recognised) and our LocalID (needed to revoke it).
type SendResult struct {
	MsgID   string `json:"msg_id"`
	LocalID string `json:"local_id"`
}

// newLocalID is <ms>×10⁴ plus 4 random digits: a 17-digit string, as the browser makes it.
func newLocalID() string {
	return strconv.FormatInt(time.Now().UnixMilli()*10000+rand.Int64N(10000), 10)
}

func marshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// sendMsg posts one message to a send endpoint and returns its ids.
func (c *Client) sendMsg(ctx context.Context, op, endpoint string, query []string, msg map[string]any, echoKey string) (SendResult, error) {
	br, pt, h, err := c.creds()
	if err != nil {
		return SendResult{}, fmt.Errorf("%s: %w", op, err)
	}
	local := newLocalID()
	to, _ := msg["ToUserName"].(string)
	msg["FromUserName"] = c.selfUserName()
	msg["LocalID"] = local
	msg["ClientMsgId"] = local
	query = append(query, "lang", "zh_CN", "pass_ticket", pt)
	c.echoes.begin(to, echoKey)
	var ans struct{ MsgID, LocalID string }
	err = c.postJSON(ctx, op, apiURL(h.API, endpoint, query...), map[string]any{"BaseRequest": br, "Msg": msg, "Scene": 0}, &ans)
	c.echoes.done(ans.MsgID)
	if err != nil {
		return SendResult{}, err
	}
	if ans.MsgID == "" {
		return SendResult{}, fmt.Errorf("%s: %w", op, errMalformed("answer without MsgID", ""))
	}
	return SendResult{MsgID: ans.MsgID, LocalID: local}, nil
}

// SendText sends text to a chat (UserName). To @-mention a group member, start the text with
// MentionText(name).
func (c *Client) SendText(ctx context.Context, to, text string) (SendResult, error) {
	return c.sendMsg(ctx, "webwxsendmsg", "webwxsendmsg", nil,
		map[string]any{"Type": 1, "Content": text, "ToUserName": to}, text)
}

// SendImage uploads an image and sends it.
func (c *Client) SendImage(ctx context.Context, to, name string, data []byte) (SendResult, error) {
	id, err := c.Upload(ctx, to, name, data)
	if err != nil {
		return SendResult{}, err
	}
	return c.sendMsg(ctx, "webwxsendmsgimg", "webwxsendmsgimg", []string{"fun", "async", "f", "json"},
		map[string]any{"Type": 3, "MediaId": id, "Content": "", "ToUserName": to}, mediaEchoKey(3))
}

// SendVideo uploads an mp4 and sends it.
func (c *Client) SendVideo(ctx context.Context, to, name string, data []byte) (SendResult, error) {
	id, err := c.Upload(ctx, to, name, data)
	if err != nil {
		return SendResult{}, err
	}
	return c.sendMsg(ctx, "webwxsendvideomsg", "webwxsendvideomsg", []string{"fun", "async", "f", "json"},
		map[string]any{"Type": 43, "MediaId": id, "Content": "", "ToUserName": to}, mediaEchoKey(43))
}

// SendEmoticon uploads a GIF or image and sends it as a sticker.
func (c *Client) SendEmoticon(ctx context.Context, to, name string, data []byte) (SendResult, error) {
	id, err := c.Upload(ctx, to, name, data)
	if err != nil {
		return SendResult{}, err
	}
	return c.sendMsg(ctx, "webwxsendemoticon", "webwxsendemoticon", []string{"fun", "sys"},
		map[string]any{"Type": 47, "EmojiFlag": 2, "MediaId": id, "ToUserName": to}, mediaEchoKey(47))
}

// SendFile uploads a file and sends it as an attachment.
func (c *Client) SendFile(ctx context.Context, to, name string, data []byte) (SendResult, error) {
	id, err := c.Upload(ctx, to, name, data)
	if err != nil {
		return SendResult{}, err
	}
	ext := strings.TrimPrefix(filepath.Ext(name), ".")
	content := "<appmsg appid='wxeb7ec651dd0aefa9' sdkver=''><title>" + xmlText(name) + "</title><des></des><action></action>" +
		"<type>6</type><content></content><url></url><lowurl></lowurl><appattach><totallen>" + strconv.Itoa(len(data)) +
		"</totallen><attachid>" + id + "</attachid><fileext>" + xmlText(ext) + "</fileext></appattach><extinfo></extinfo></appmsg>"
	return c.sendMsg(ctx, "webwxsendappmsg", "webwxsendappmsg", []string{"fun", "async", "f", "json"},
		map[string]any{"Type": 6, "Content": content, "ToUserName": to}, mediaEchoKey(49))
}

func xmlText(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "'", "&apos;", `"`, "&quot;")
	return r.Replace(s)
}

// Revoke recalls a message we sent, within two minutes of sending it.
func (c *Client) Revoke(ctx context.Context, to string, sent SendResult) error {
	br, pt, h, err := c.creds()
	if err != nil {
		return fmt.Errorf("webwxrevokemsg: %w", err)
	}
	body := map[string]any{"BaseRequest": br, "ClientMsgId": sent.LocalID, "SvrMsgId": sent.MsgID, "ToUserName": to}
	c.echoes.begin(to, mediaEchoKey(10002)) // our stream gets "你撤回了一条消息"
	return c.postJSON(ctx, "webwxrevokemsg", apiURL(h.API, "webwxrevokemsg", "lang", "zh_CN", "pass_ticket", pt), body, nil)
}

// Forward sends a received message on to another chat: text as text, media by downloading and
// uploading it again (received media ids cannot be reused).
func (c *Client) Forward(ctx context.Context, to string, m *Message) (SendResult, error) {
	switch m.Kind {
	case KindText, KindLink, KindLocation:
		text := m.Text
		if m.URL != "" && !strings.Contains(text, m.URL) {
			text += "\n" + m.URL
		}
		return c.SendText(ctx, to, text)
	case KindImage, KindEmoticon, KindVideo, KindFile:
		data, err := c.Download(ctx, m)
		if err != nil {
			return SendResult{}, fmt.Errorf("forward: %w", err)
		}
		switch m.Kind {
		case KindImage:
			return c.SendImage(ctx, to, m.MsgID+".jpg", data)
		case KindEmoticon:
			return c.SendEmoticon(ctx, to, m.MsgID+".gif", data)
		case KindVideo:
			return c.SendVideo(ctx, to, m.MsgID+".mp4", data)
		default:
			return c.SendFile(ctx, to, m.File.Name, data)
		}
	}
	return SendResult{}, fmt.Errorf("forward: messages of kind %s cannot be forwarded", m.Kind)
}

// uploadChunk is the upload chunk size: 512 KiB, as the browser uses.
const uploadChunk = 512 << 10

// Upload sends data to file.<host> in 512 KiB chunks and returns the MediaId the last chunk's
// answer carries.
func (c *Client) Upload(ctx context.Context, to, name string, data []byte) (string, error) {
	br, pt, h, err := c.creds()
	if err != nil {
		return "", fmt.Errorf("webwxuploadmedia: %w", err)
	}
	ticket := c.jar.value(h.File, "webwx_data_ticket")
	if ticket == "" {
		return "", fmt.Errorf("webwxuploadmedia: no webwx_data_ticket cookie for %s (was the session restored without cookie domains?): %w", h.File, ErrCookieInvalid)
	}
	if len(data) == 0 {
		return "", fmt.Errorf("webwxuploadmedia: %s is empty", name)
	}
	sum := md5.Sum(data)
	mediaType := "doc"
	switch strings.ToLower(strings.TrimPrefix(filepath.Ext(name), ".")) {
	case "bmp", "png", "jpeg", "jpg", "gif":
		mediaType = "pic"
	case "mp4":
		mediaType = "video"
	}
	mimeType := mime.TypeByExtension(filepath.Ext(name))
	if mimeType == "" {
		mimeType = "application/octet-stream"
	}
	req, _ := marshalNoEscape(map[string]any{
		"UploadType": 2, "BaseRequest": br, "ClientMediaId": time.Now().UnixMilli(),
		"TotalLen": len(data), "StartPos": 0, "DataLen": len(data), "MediaType": 4,
		"FromUserName": c.selfUserName(), "ToUserName": to, "FileMd5": hex.EncodeToString(sum[:]),
	})
	chunks := (len(data) + uploadChunk - 1) / uploadChunk
	u := "https://" + h.File + cgiPath + "/webwxuploadmedia?f=json"
	for i := 0; i < chunks; i++ {
		part := data[i*uploadChunk : min(len(data), (i+1)*uploadChunk)]
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		fields := [][2]string{
			{"id", "WU_FILE_0"}, {"name", name}, {"type", mimeType},
			{"lastModifiedDate", time.Now().Format("Mon Jan 02 2006 15:04:05 GMT-0700")},
			{"size", strconv.Itoa(len(data))},
		}
		if chunks > 1 {
			fields = append(fields, [2]string{"chunks", strconv.Itoa(chunks)}, [2]string{"chunk", strconv.Itoa(i)})
		}
		fields = append(fields, [2]string{"mediatype", mediaType}, [2]string{"uploadmediarequest", string(req)},
			[2]string{"webwx_data_ticket", ticket}, [2]string{"pass_ticket", pt})
		for _, f := range fields {
			_ = w.WriteField(f[0], f[1])
		}
		fw, _ := w.CreateFormFile("filename", name)
		_, _ = fw.Write(part)
		_ = w.Close()
		answer, err := c.do(ctx, "webwxuploadmedia", http.MethodPost, u, &body, http.Header{"Content-Type": {w.FormDataContentType()}})
		if err != nil {
			return "", err
		}
		var ans struct {
			MediaID string `json:"MediaId"`
		}
		if err := decodeAnswer("webwxuploadmedia", answer, &ans); err != nil {
			return "", err
		}
		if i == chunks-1 {
			if ans.MediaID == "" {
				return "", fmt.Errorf("webwxuploadmedia: %w", errMalformed("last chunk answered without MediaId", string(answer)))
			}
			return ans.MediaID, nil
		}
	}
	return "", fmt.Errorf("webwxuploadmedia: no chunks")
}
