// Tests of CEL types: spelling, structural equality, the rule language's
// type names, and host object types.
#include "engine/cel/types.h"

#include <memory>

#include "gtest/gtest.h"

namespace switchboard::cel {
namespace {

TEST(TypesTest, SpellsTypesAsCel) {
  EXPECT_EQ(Type::Int().DebugString(), "int");
  EXPECT_EQ(Type::Uint().DebugString(), "uint");
  EXPECT_EQ(Type::Double().DebugString(), "double");
  EXPECT_EQ(Type::String().DebugString(), "string");
  EXPECT_EQ(Type::Bool().DebugString(), "bool");
  EXPECT_EQ(Type::Bytes().DebugString(), "bytes");
  EXPECT_EQ(Type::Null().DebugString(), "null_type");
  EXPECT_EQ(Type::Duration().DebugString(), "duration");
  EXPECT_EQ(Type::Timestamp().DebugString(), "timestamp");
  EXPECT_EQ(Type::Dyn().DebugString(), "dyn");
  EXPECT_EQ(Type().DebugString(), "dyn");
  EXPECT_EQ(Type::Error().DebugString(), "*error*");
  EXPECT_EQ(Type::Param("A").DebugString(), "A");
  EXPECT_EQ(Type::List(Type::Int()).DebugString(), "list(int)");
  EXPECT_EQ(Type::Map(Type::String(), Type::Dyn()).DebugString(),
            "map(string, dyn)");
  EXPECT_EQ(Type::List(Type::Map(Type::String(), Type::List(Type::Bool())))
                .DebugString(),
            "list(map(string, list(bool)))");
  auto event = std::make_shared<ObjectType>("event", "attribute");
  EXPECT_EQ(Type::Object(event).DebugString(), "event");
}

TEST(TypesTest, AccessorsGiveParametersOrDyn) {
  const Type map = Type::Map(Type::String(), Type::Int());
  EXPECT_EQ(map.kind(), TypeKind::kMap);
  EXPECT_EQ(map.key(), Type::String());
  EXPECT_EQ(map.value(), Type::Int());
  EXPECT_TRUE(map.elem().is_dyn());
  const Type list = Type::List(Type::Double());
  EXPECT_EQ(list.elem(), Type::Double());
  EXPECT_TRUE(list.key().is_dyn());
  EXPECT_TRUE(Type::Int().elem().is_dyn());
  EXPECT_EQ(Type::Int().object(), nullptr);
  EXPECT_EQ(Type::Int().param_name(), "");
  EXPECT_EQ(Type::Param("T").param_name(), "T");
}

TEST(TypesTest, EqualityIsStructuralAndObjectsByIdentity) {
  EXPECT_EQ(Type::Int(), Type::Int());
  EXPECT_NE(Type::Int(), Type::Double());
  EXPECT_EQ(Type::List(Type::Int()), Type::List(Type::Int()));
  EXPECT_NE(Type::List(Type::Int()), Type::List(Type::String()));
  EXPECT_EQ(Type::Map(Type::String(), Type::List(Type::Int())),
            Type::Map(Type::String(), Type::List(Type::Int())));
  EXPECT_NE(Type::Map(Type::String(), Type::Int()),
            Type::Map(Type::Int(), Type::Int()));
  EXPECT_NE(Type::List(Type::Int()), Type::Map(Type::Int(), Type::Int()));
  EXPECT_EQ(Type::Param("A"), Type::Param("A"));
  EXPECT_NE(Type::Param("A"), Type::Param("B"));
  auto a = std::make_shared<ObjectType>("event", "attribute");
  auto b = std::make_shared<ObjectType>("event", "attribute");
  EXPECT_EQ(Type::Object(a), Type::Object(a));
  EXPECT_NE(Type::Object(a), Type::Object(b));
}

TEST(TypesTest, ParsesRuleLanguageTypeNames) {
  EXPECT_EQ(ParseTypeName("bool"), Type::Bool());
  EXPECT_EQ(ParseTypeName("int"), Type::Int());
  EXPECT_EQ(ParseTypeName("double"), Type::Double());
  EXPECT_EQ(ParseTypeName("string"), Type::String());
  EXPECT_EQ(ParseTypeName("duration"), Type::Duration());
  EXPECT_EQ(ParseTypeName("timestamp"), Type::Timestamp());
  EXPECT_EQ(ParseTypeName("dyn"), Type::Dyn());
  EXPECT_EQ(ParseTypeName("list(int)"), Type::List(Type::Int()));
  EXPECT_EQ(ParseTypeName("list<string>"), Type::List(Type::String()));
  EXPECT_EQ(ParseTypeName("map(string, int)"),
            Type::Map(Type::String(), Type::Int()));
  EXPECT_EQ(ParseTypeName("map<string,list<double>>"),
            Type::Map(Type::String(), Type::List(Type::Double())));
  EXPECT_EQ(ParseTypeName("  map ( string ,  dyn )  "),
            Type::Map(Type::String(), Type::Dyn()));
}

TEST(TypesTest, RefusesUnknownOrMalformedTypeNames) {
  for (const char* name :
       {"", " ", "integer", "uint", "bytes", "null_type", "list", "list()",
        "list(int", "list(int))", "list<int)", "map(string)",
        "map(string, int, int)", "int int", "list(strng)", "List(int)"}) {
    EXPECT_EQ(ParseTypeName(name), std::nullopt) << name;
  }
}

TEST(TypesTest, RefusesDeeplyNestedTypeNamesWithoutCrashing) {
  std::string name;
  for (int i = 0; i < 100000; ++i) name += "list(";
  EXPECT_EQ(ParseTypeName(name), std::nullopt);
}

TEST(TypesTest, ObjectTypeFindsFieldsByName) {
  ObjectType event("event", "attribute");
  EXPECT_EQ(event.name(), "event");
  EXPECT_EQ(event.field_noun(), "attribute");
  EXPECT_EQ(event.AddField("intent", Type::String()), 0);
  EXPECT_EQ(event.AddField("cart_value", Type::Double()), 1);
  EXPECT_EQ(event.FindField("intent"), 0);
  EXPECT_EQ(event.FindField("cart_value"), 1);
  EXPECT_EQ(event.FindField("cart"), -1);
  ASSERT_EQ(event.fields().size(), 2u);
  EXPECT_EQ(event.fields()[1].type, Type::Double());
}

}  // namespace
}  // namespace switchboard::cel
