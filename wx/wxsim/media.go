package wxsim

import (
	"bytes"
	"encoding/binary"
	"hash/fnv"
	"image"
	"image/color"
	"image/color/palette"
	"image/gif"
	"image/jpeg"
	"math/rand/v2"
	"net/http"
	"time"
)

// mediaItem is what a MsgId or MediaId downloads as: uploaded bytes, or deterministic
// synthetic ones.
type mediaItem struct {
	data []byte // uploaded
	size int64  // synthetic file size (injected files)
	gif  bool   // stickers download as GIF
	md5  string
	name string
}

func (it mediaItem) length() int64 {
	if it.data != nil {
		return int64(len(it.data))
	}
	return it.size
}

// keyedRand is a source that depends only on key, so the same MsgId always downloads
// the same bytes, independent of the order of requests.
func keyedRand(key string) *rand.Rand {
	h := fnv.New64a()
	_, _ = h.Write([]byte(key))
	return rand.New(rand.NewPCG(h.Sum64(), 0x5eed))
}

func pseudoBytes(key string, n int64) []byte {
	r := keyedRand(key)
	b := make([]byte, (n+7)/8*8)
	for i := 0; i < len(b); i += 8 {
		binary.LittleEndian.PutUint64(b[i:], r.Uint64())
	}
	return b[:n]
}

// pictureJPEG is a real JPEG whose colours depend on key.
func pictureJPEG(key string, w, h int) []byte {
	r := keyedRand(key)
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	base := color.RGBA{uint8(r.UintN(256)), uint8(r.UintN(256)), uint8(r.UintN(256)), 255}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := base
			if (x/8+y/8)%2 == 0 {
				c.R, c.G = c.G, c.R
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	_ = jpeg.Encode(&b, img, &jpeg.Options{Quality: 80})
	return b.Bytes()
}

func pictureGIF(key string) []byte {
	r := keyedRand(key)
	img := image.NewPaletted(image.Rect(0, 0, 64, 64), palette.Plan9)
	for i := range img.Pix {
		img.Pix[i] = uint8(r.UintN(8)) + uint8(len(key)%200)
	}
	var b bytes.Buffer
	_ = gif.Encode(&b, img, nil)
	return b.Bytes()
}

// silentMP3 is a run of MPEG-1 Layer III frames (128 kbit/s, 44.1 kHz, 417 bytes each)
// with empty audio data.
func silentMP3(key string) []byte {
	frames := 10 + keyedRand(key).IntN(30)
	b := make([]byte, 0, frames*417)
	for range frames {
		frame := make([]byte, 417)
		copy(frame, []byte{0xFF, 0xFB, 0x90, 0x64})
		b = append(b, frame...)
	}
	return b
}

// tinyMP4 is an ftyp box and an mdat box of key-dependent bytes: enough for a client to
// recognise and store an mp4.
func tinyMP4(key string) []byte {
	payload := pseudoBytes(key, 4096)
	b := []byte{0, 0, 0, 24, 'f', 't', 'y', 'p', 'i', 's', 'o', 'm', 0, 0, 2, 0, 'i', 's', 'o', 'm', 'm', 'p', '4', '1'}
	b = binary.BigEndian.AppendUint32(b, uint32(8+len(payload)))
	b = append(b, "mdat"...)
	return append(b, payload...)
}

// mediaAuth checks the skey or cookies of a download; it needs no BaseRequest.
func (s *Server) mediaAuth(w http.ResponseWriter, r *http.Request) (*session, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ret := s.authenticate(r, baseRequest{})
	if ret != 0 {
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusUnauthorized)
		return nil, false
	}
	return sess, true
}

func (s *Server) lookupMedia(key string) (mediaItem, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, ok := s.media[key]
	return it, ok
}

// serve sends bytes with Content-Length; ServeContent answers Range requests with 206.
func serve(w http.ResponseWriter, r *http.Request, contentType string, data []byte) {
	w.Header().Set("Content-Type", contentType)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
}

// handleGetMsgImg serves images and stickers by MsgID (capital ID here, unlike voice and
// video); type=slave is the thumbnail.
func (s *Server) handleGetMsgImg(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.mediaAuth(w, r); !ok {
		return
	}
	id := r.URL.Query().Get("MsgID")
	it, _ := s.lookupMedia(id)
	switch {
	case it.data != nil:
		serve(w, r, http.DetectContentType(it.data), it.data)
	case it.gif:
		serve(w, r, "image/gif", pictureGIF(id))
	case r.URL.Query().Get("type") == "slave":
		serve(w, r, "image/jpeg", pictureJPEG(id, 120, 90))
	default:
		serve(w, r, "image/jpeg", pictureJPEG(id, 480, 360))
	}
}

func (s *Server) handleGetVoice(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.mediaAuth(w, r); !ok {
		return
	}
	serve(w, r, "audio/mpeg", silentMP3(r.URL.Query().Get("msgid")))
}

// handleGetVideo expects Range: bytes=0- and answers 206 video/mp4, as the service does.
func (s *Server) handleGetVideo(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.mediaAuth(w, r); !ok {
		return
	}
	id := r.URL.Query().Get("msgid")
	data := tinyMP4(id)
	if it, _ := s.lookupMedia(id); it.data != nil {
		data = it.data
	}
	serve(w, r, "video/mp4", data)
}

// handleGetIcon serves avatars (webwxgeticon, webwxgetheadimg) and location thumbnails.
func (s *Server) handleGetIcon(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	key := q.Get("username") + q.Get("seq") + q.Get("msgid")
	serve(w, r, "image/jpeg", pictureJPEG(key, 132, 132))
}

// handleGetMedia serves files on file.<host>; the webwx_data_ticket query parameter must
// be the cookie's value.
func (s *Server) handleGetMedia(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.mediaAuth(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	it, known := s.lookupMedia(q.Get("mediaid"))
	if q.Get("webwx_data_ticket") != sess.dataTicket || !known {
		http.NotFound(w, r)
		return
	}
	data := it.data
	if data == nil {
		data = pseudoBytes(q.Get("mediaid"), it.size)
	}
	serve(w, r, "application/octet-stream", data)
}
