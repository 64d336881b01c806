// CEL types as the checker sees them: factories, accessors, CEL's spelling
// (DebugString), structural equality, the rule language's type names
// (ParseTypeName), and host object types with named fields.
#include "engine/cel/types.h"

#include <cctype>
#include <utility>

namespace switchboard::cel {
namespace {

const Type& DynType() {
  static const Type* const kDyn = new Type();
  return *kDyn;
}

const std::string& EmptyString() {
  static const std::string* const kEmpty = new std::string();
  return *kEmpty;
}

// A tiny recursive-descent reader for type names; `pos` advances past what
// was read. Depth-bounded so that hostile input ("list(list(list(...")
// cannot exhaust the stack.
class TypeNameReader {
 public:
  explicit TypeNameReader(std::string_view text) : text_(text) {}

  std::optional<Type> ReadAll() {
    std::optional<Type> type = Read(0);
    SkipSpace();
    if (!type || pos_ != text_.size()) return std::nullopt;
    return type;
  }

 private:
  static constexpr int kMaxDepth = 32;

  void SkipSpace() {
    while (pos_ < text_.size() &&
           std::isspace(static_cast<unsigned char>(text_[pos_]))) {
      ++pos_;
    }
  }

  std::string_view ReadWord() {
    SkipSpace();
    size_t start = pos_;
    while (pos_ < text_.size() &&
           (std::isalnum(static_cast<unsigned char>(text_[pos_])) ||
            text_[pos_] == '_')) {
      ++pos_;
    }
    return text_.substr(start, pos_ - start);
  }

  bool Consume(char c) {
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  std::optional<Type> Read(int depth) {
    if (depth > kMaxDepth) return std::nullopt;
    std::string_view word = ReadWord();
    if (word == "bool") return Type::Bool();
    if (word == "int") return Type::Int();
    if (word == "double") return Type::Double();
    if (word == "string") return Type::String();
    if (word == "duration") return Type::Duration();
    if (word == "timestamp") return Type::Timestamp();
    if (word == "dyn") return Type::Dyn();
    if (word != "list" && word != "map") return std::nullopt;
    char close;
    if (Consume('(')) {
      close = ')';
    } else if (Consume('<')) {
      close = '>';
    } else {
      return std::nullopt;
    }
    std::optional<Type> first = Read(depth + 1);
    if (!first) return std::nullopt;
    if (word == "list") {
      if (!Consume(close)) return std::nullopt;
      return Type::List(*std::move(first));
    }
    if (!Consume(',')) return std::nullopt;
    std::optional<Type> second = Read(depth + 1);
    if (!second || !Consume(close)) return std::nullopt;
    return Type::Map(*std::move(first), *std::move(second));
  }

  std::string_view text_;
  size_t pos_ = 0;
};

void AppendDebugString(const Type& type, std::string* out) {
  switch (type.kind()) {
    case TypeKind::kDyn:
      out->append("dyn");
      return;
    case TypeKind::kNull:
      out->append("null_type");
      return;
    case TypeKind::kBool:
      out->append("bool");
      return;
    case TypeKind::kInt:
      out->append("int");
      return;
    case TypeKind::kUint:
      out->append("uint");
      return;
    case TypeKind::kDouble:
      out->append("double");
      return;
    case TypeKind::kString:
      out->append("string");
      return;
    case TypeKind::kBytes:
      out->append("bytes");
      return;
    case TypeKind::kDuration:
      out->append("duration");
      return;
    case TypeKind::kTimestamp:
      out->append("timestamp");
      return;
    case TypeKind::kList:
      out->append("list(");
      AppendDebugString(type.elem(), out);
      out->push_back(')');
      return;
    case TypeKind::kMap:
      out->append("map(");
      AppendDebugString(type.key(), out);
      out->append(", ");
      AppendDebugString(type.value(), out);
      out->push_back(')');
      return;
    case TypeKind::kObject:
      out->append(type.object() != nullptr ? type.object()->name() : "object");
      return;
    case TypeKind::kTypeParam:
      out->append(type.param_name());
      return;
    case TypeKind::kError:
      out->append("*error*");
      return;
  }
}

}  // namespace

Type Type::List(Type elem) {
  Type t(TypeKind::kList);
  t.data_ = std::make_shared<const std::vector<Type>>(
      std::vector<Type>{std::move(elem)});
  return t;
}

Type Type::Map(Type key, Type value) {
  Type t(TypeKind::kMap);
  t.data_ = std::make_shared<const std::vector<Type>>(
      std::vector<Type>{std::move(key), std::move(value)});
  return t;
}

Type Type::Object(std::shared_ptr<const ObjectType> object) {
  Type t(TypeKind::kObject);
  t.data_ = std::move(object);
  return t;
}

Type Type::Param(std::string name) {
  Type t(TypeKind::kTypeParam);
  t.data_ = std::make_shared<const std::string>(std::move(name));
  return t;
}

const Type& Type::elem() const {
  const std::vector<Type>* p = params();
  if (kind_ == TypeKind::kList && p != nullptr && !p->empty()) {
    return (*p)[0];
  }
  return DynType();
}

const Type& Type::key() const {
  const std::vector<Type>* p = params();
  if (kind_ == TypeKind::kMap && p != nullptr && p->size() == 2) {
    return (*p)[0];
  }
  return DynType();
}

const Type& Type::value() const {
  const std::vector<Type>* p = params();
  if (kind_ == TypeKind::kMap && p != nullptr && p->size() == 2) {
    return (*p)[1];
  }
  return DynType();
}

const std::string& Type::param_name() const {
  return kind_ == TypeKind::kTypeParam && data_ != nullptr
             ? *static_cast<const std::string*>(data_.get())
             : EmptyString();
}

std::string Type::DebugString() const {
  std::string out;
  AppendDebugString(*this, &out);
  return out;
}

bool operator==(const Type& a, const Type& b) {
  if (a.kind_ != b.kind_) return false;
  switch (a.kind_) {
    case TypeKind::kList:
      return a.elem() == b.elem();
    case TypeKind::kMap:
      return a.key() == b.key() && a.value() == b.value();
    case TypeKind::kObject:
      return a.object() == b.object();
    case TypeKind::kTypeParam:
      return a.param_name() == b.param_name();
    default:
      return true;
  }
}

std::optional<Type> ParseTypeName(std::string_view name) {
  return TypeNameReader(name).ReadAll();
}

int ObjectType::AddField(std::string name, Type type) {
  fields_.push_back({std::move(name), std::move(type)});
  return static_cast<int>(fields_.size()) - 1;
}

int ObjectType::FindField(std::string_view name) const {
  // Objects have few fields (tens): a linear scan beats hashing here, and
  // the checker resolves fields once, at load time.
  for (size_t i = 0; i < fields_.size(); ++i) {
    if (fields_[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace switchboard::cel
