// WAV reading and writing. The layout (RIFF chunks, the fmt chunk's WAVEFORMATEX fields, the
// format tags 1 PCM, 6 A-law, 7 µ-law, 0xFFFE extensible) is Microsoft's RIFF / WAVE
// specification ("Multimedia Programming Interface and Data Specifications 1.0", 1991, and
// WAVEFORMATEXTENSIBLE). Every length in the input is checked against the bytes present before
// it is used: the reader must survive any bytes (tests/fuzz/wav_amd_fuzz.cc).
#include "audio/wav.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>

#include "audio/g711.h"
#include "omnivox/amd.h"
#include "omnivox/types.h"

namespace omnivox {
namespace {

constexpr std::uint16_t kFormatPcm = 1;
constexpr std::uint16_t kFormatALaw = 6;
constexpr std::uint16_t kFormatMuLaw = 7;
constexpr std::uint16_t kFormatExtensible = 0xFFFE;
// A recording longer than this is not a call's answer; refusing it bounds memory.
constexpr std::size_t kMaxFileBytes = std::size_t{1} << 30;

std::uint16_t le16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] | (p[1] << 8)); }
std::uint32_t le32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
         (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}

// A chunk id as text for messages: printable ASCII kept, anything else as '?'.
std::string chunk_name(const std::uint8_t* p) {
  std::string s;
  for (int i = 0; i < 4; ++i) s += (p[i] >= 0x20 && p[i] < 0x7F) ? static_cast<char>(p[i]) : '?';
  return s;
}

struct Format {
  std::uint16_t tag = 0;
  std::uint16_t channels = 0;
  std::uint32_t rate = 0;
  std::uint16_t block_align = 0;
  std::uint16_t bits = 0;
};

[[noreturn]] void invalid(const std::string& source, const std::string& reason) {
  throw Error(ErrorCode::kInvalidArgument, source + ": " + reason);
}

Format parse_fmt(const std::uint8_t* p, std::uint32_t size, const std::string& source) {
  if (size < 16) invalid(source, "fmt chunk of " + std::to_string(size) + " bytes, expected >= 16");
  Format f;
  f.tag = le16(p);
  f.channels = le16(p + 2);
  f.rate = le32(p + 4);
  f.block_align = le16(p + 12);
  f.bits = le16(p + 14);
  if (f.tag == kFormatExtensible) {
    // WAVEFORMATEXTENSIBLE: cbSize (2), valid bits (2), channel mask (4), then the sub-format
    // GUID whose first two bytes are the format tag.
    if (size < 40) invalid(source, "extensible fmt chunk of " + std::to_string(size) + " bytes");
    f.tag = le16(p + 24);
  }
  return f;
}

void check_format(const Format& f, const std::string& source) {
  if (f.tag != kFormatPcm && f.tag != kFormatALaw && f.tag != kFormatMuLaw) {
    invalid(source,
            "format tag " + std::to_string(f.tag) + ", expected 1 (PCM), 6 (A-law) or 7 (u-law)");
  }
  if (f.channels != 1) {
    invalid(source, std::to_string(f.channels) + " channels, expected mono");
  }
  if (f.rate != static_cast<std::uint32_t>(AmdDetector::kSampleRate)) {
    invalid(source, std::to_string(f.rate) + " Hz, expected 8000 Hz");
  }
  const std::uint16_t want_bits = f.tag == kFormatPcm ? 16 : 8;
  if (f.bits != want_bits) {
    invalid(source, std::to_string(f.bits) + " bits per sample, expected " +
                        std::to_string(want_bits) +
                        (f.tag == kFormatPcm ? " for PCM" : " for G.711"));
  }
  if (f.block_align != want_bits / 8) {
    invalid(source, "block align " + std::to_string(f.block_align) + ", expected " +
                        std::to_string(want_bits / 8));
  }
}

}  // namespace

PcmAudio parse_wav(std::span<const std::uint8_t> bytes, const std::string& source) {
  const std::uint8_t* const base = bytes.data();
  const std::size_t n = bytes.size();
  if (n < 12 || std::memcmp(base, "RIFF", 4) != 0 || std::memcmp(base + 8, "WAVE", 4) != 0) {
    invalid(source, "not a RIFF/WAVE file");
  }
  // The RIFF size is not trusted: streaming writers leave it 0 or 0xFFFFFFFF. The chunks are read
  // up to the end of the bytes, and reading stops at the data chunk.
  std::size_t pos = 12;
  bool have_fmt = false;
  Format fmt;
  while (true) {
    if (n - pos < 8) {
      if (!have_fmt) invalid(source, "no fmt chunk");
      invalid(source, "no data chunk");
    }
    const std::uint8_t* header = base + pos;
    const std::string id = chunk_name(header);
    const std::uint32_t size = le32(header + 4);
    pos += 8;
    const std::size_t left = n - pos;
    if (id == "data") {
      if (!have_fmt) invalid(source, "data chunk before the fmt chunk");
      // 0xFFFFFFFF (and a size past the end in files a streaming writer never finished) is "to
      // the end"; only the former is accepted, the latter is a truncated file.
      std::size_t data_size = size;
      if (size == 0xFFFFFFFFu) {
        data_size = left;
      } else if (data_size > left) {
        invalid(source, "truncated data chunk (" + std::to_string(size) + " bytes declared, " +
                            std::to_string(left) + " present)");
      }
      const std::uint8_t* data = base + pos;
      PcmAudio audio;
      audio.sample_rate = static_cast<int>(fmt.rate);
      if (fmt.tag == kFormatPcm) {
        if (data_size % 2 != 0 && size != 0xFFFFFFFFu) {
          invalid(source, "data chunk of " + std::to_string(size) +
                              " bytes is not a whole number of 16-bit samples");
        }
        audio.samples.resize(data_size / 2);
        for (std::size_t i = 0; i < audio.samples.size(); ++i) {
          audio.samples[i] = static_cast<std::int16_t>(le16(data + 2 * i));
        }
      } else {
        audio.samples.resize(data_size);
        audio::g711_decode(fmt.tag == kFormatMuLaw ? audio::G711Law::kMuLaw : audio::G711Law::kALaw,
                           std::span<const std::uint8_t>(data, data_size), audio.samples);
      }
      return audio;
    }
    if (size > left) invalid(source, "truncated " + id + " chunk");
    if (id == "fmt ") {
      if (have_fmt) invalid(source, "two fmt chunks");
      fmt = parse_fmt(base + pos, size, source);
      check_format(fmt, source);
      have_fmt = true;
    }
    // Chunks are padded to an even length; a missing pad byte at the very end is tolerated.
    pos += size;
    if (size % 2 != 0 && pos < n) ++pos;
  }
}

PcmAudio read_wav_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::kIo, path + ": cannot open: " + std::strerror(errno));
  in.seekg(0, std::ios::end);
  const std::streamoff length = in.tellg();
  if (length < 0) throw Error(ErrorCode::kIo, path + ": cannot read (not a regular file?)");
  if (static_cast<std::uint64_t>(length) > kMaxFileBytes) {
    invalid(path, "file of " + std::to_string(length) + " bytes, larger than 1 GiB");
  }
  in.seekg(0, std::ios::beg);
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(length));
  if (!bytes.empty() && !in.read(reinterpret_cast<char*>(bytes.data()), length)) {
    throw Error(ErrorCode::kIo, path + ": read failed");
  }
  return parse_wav(bytes, path);
}

namespace audio {

std::vector<std::uint8_t> encode_wav(std::span<const std::int16_t> samples, int sample_rate) {
  const auto data_bytes = static_cast<std::uint32_t>(samples.size() * 2);
  const auto rate = static_cast<std::uint32_t>(sample_rate);
  std::vector<std::uint8_t> out(44 + std::size_t{data_bytes});
  std::uint8_t* p = out.data();
  auto tag = [&p](const char* s) {
    std::memcpy(p, s, 4);
    p += 4;
  };
  auto put16 = [&p](std::uint32_t v) {
    *p++ = static_cast<std::uint8_t>(v);
    *p++ = static_cast<std::uint8_t>(v >> 8);
  };
  auto put32 = [&put16](std::uint32_t v) {
    put16(v & 0xFFFF);
    put16(v >> 16);
  };
  tag("RIFF");
  put32(36 + data_bytes);
  tag("WAVE");
  tag("fmt ");
  put32(16);
  put16(kFormatPcm);
  put16(1);
  put32(rate);
  put32(rate * 2);
  put16(2);
  put16(16);
  tag("data");
  put32(data_bytes);
  for (std::int16_t s : samples) put16(static_cast<std::uint16_t>(s));
  return out;
}

void write_wav_file(const std::string& path, std::span<const std::int16_t> samples,
                    int sample_rate) {
  const std::vector<std::uint8_t> bytes = encode_wav(samples, sample_rate);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw Error(ErrorCode::kIo, path + ": cannot create: " + std::strerror(errno));
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out.flush()) throw Error(ErrorCode::kIo, path + ": write failed");
}

}  // namespace audio
}  // namespace omnivox
