#include "ingest/line_source.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

namespace callguard {

namespace {
constexpr size_t kChunk = 1 << 20;
}

Result<std::unique_ptr<LineSource>> LineSource::Open(const std::string& path, Mode mode,
                                                     size_t max_record_bytes) {
  gzFile f = path == "-" ? gzdopen(dup(STDIN_FILENO), "rb") : gzopen(path.c_str(), "rb");
  if (f == nullptr) return Status::IoError(path + ": cannot open: " + std::strerror(errno));
  gzbuffer(f, 1 << 18);
  auto src = std::unique_ptr<LineSource>(new LineSource(f, path, mode, max_record_bytes));
  struct stat st;
  if (path != "-" && stat(path.c_str(), &st) == 0) src->file_size_ = st.st_size;
  return src;
}

LineSource::LineSource(gzFile f, std::string path, Mode mode, size_t max_record)
    : file_(f), path_(std::move(path)), mode_(mode), max_record_(max_record) {
  buf_.resize(kChunk + max_record_ + 1);
}

LineSource::~LineSource() { gzclose(file_); }

uint64_t LineSource::compressed_offset() const { return static_cast<uint64_t>(gzoffset(file_)); }

bool LineSource::Fill() {
  if (eof_) return false;
  if (begin_ > 0) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  size_t room = buf_.size() - end_;
  if (room == 0) return false;
  int n = gzread(file_, buf_.data() + end_, static_cast<unsigned>(std::min(room, kChunk)));
  if (n < 0) {
    int err;
    const char* msg = gzerror(file_, &err);
    status_ = Status::IoError(path_ + ": read error: " + msg);
    eof_ = true;
    return false;
  }
  if (n == 0) {
    eof_ = true;
    return false;
  }
  if (first_) {
    first_ = false;
    // Skip a UTF-8 byte-order mark.
    if (n >= 3 && std::memcmp(buf_.data() + end_, "\xEF\xBB\xBF", 3) == 0) {
      std::memmove(buf_.data() + end_, buf_.data() + end_ + 3, n - 3);
      n -= 3;
    }
  }
  bytes_read_ += n;
  end_ += n;
  return true;
}

bool LineSource::Next(Record* rec) {
  for (;;) {
    // Find the end of the record starting at begin_.
    size_t scan = begin_;
    bool in_quotes = false;
    size_t newlines = 0;
    for (;;) {
      const char* base = buf_.data();
      const void* nl = std::memchr(base + scan, '\n', end_ - scan);
      size_t stop = nl ? static_cast<const char*>(nl) - base : end_;
      if (mode_ == Mode::kCsv) {
        for (const char* q = base + scan;
             (q = static_cast<const char*>(std::memchr(q, '"', base + stop - q))) != nullptr; ++q)
          in_quotes = !in_quotes;
      }
      if (nl && !in_quotes) {
        size_t len = stop - begin_;
        if (len > max_record_) {
          rec->text = std::string_view(base + begin_, max_record_);
          rec->too_long = true;
        } else {
          size_t tl = len;
          if (tl > 0 && base[begin_ + tl - 1] == '\r') --tl;
          rec->text = std::string_view(base + begin_, tl);
          rec->too_long = false;
        }
        rec->line = line_;
        line_ += newlines + 1;
        begin_ = stop + 1;
        if (rec->text.empty() && !rec->too_long) break;  // blank line: look for the next record
        return true;
      }
      if (nl) {
        ++newlines;  // newline inside quotes
        scan = stop + 1;
        continue;
      }
      // No terminator in the buffer: too long already, or read more.
      if (end_ - begin_ > max_record_) {
        // Give up on this record: report it, then resynchronise at the next real newline.
        rec->text = std::string_view(buf_.data() + begin_, max_record_);
        rec->too_long = true;
        rec->line = line_;
        // Skip to the next newline regardless of quotes.
        for (;;) {
          const void* p =
              std::memchr(buf_.data() + begin_ + max_record_, '\n', end_ - begin_ - max_record_);
          if (p) {
            size_t at = static_cast<const char*>(p) - buf_.data();
            // Count lines skipped (all newlines between begin_ and at).
            for (size_t i = begin_; i < at; ++i) line_ += buf_[i] == '\n';
            line_ += 1;
            // Keep the reported text alive: copy it to the tail is unnecessary since the
            // caller reads it before the next call; move begin_ only.
            begin_ = at + 1;
            return true;
          }
          for (size_t i = begin_ + max_record_; i < end_; ++i) line_ += buf_[i] == '\n';
          end_ = begin_ + max_record_;  // drop the excess, keep the reported prefix
          if (!Fill()) {
            begin_ = end_;
            return true;
          }
          rec->text = std::string_view(buf_.data() + begin_, max_record_);
        }
      }
      size_t consumed_before = begin_;
      if (!Fill()) {
        // End of input: the rest is the last record (no trailing newline).
        if (end_ > begin_) {
          size_t len = end_ - begin_;
          if (len > 0 && buf_[begin_ + len - 1] == '\r') --len;
          rec->text = std::string_view(buf_.data() + begin_, len);
          rec->too_long = false;
          rec->line = line_;
          line_ += newlines;
          begin_ = end_;
          if (rec->text.empty()) return false;
          return true;
        }
        return false;
      }
      // Fill() moved the data to the start of the buffer; rescan this record from its start.
      (void)consumed_before;
      scan = begin_;
      in_quotes = false;
      newlines = 0;
    }
  }
}

}  // namespace callguard
