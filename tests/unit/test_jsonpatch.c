/*
 * test_jsonpatch.c - unit tests for cgi/jsonpatch.c: every example of
 * RFC 7396 appendix A and RFC 6902 appendix A, plus edge cases.
 *
 * JSON in the tables is written with ' for " (no test needs an apostrophe);
 * j() swaps them and parses. Expected documents are compared with jp_equal().
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "check.h"
#include "jsonpatch.h"

/* Parses s with ' standing for "; aborts on a malformed test vector. */
static struct json_object *j(const char *s)
{
	enum json_tokener_error e;
	struct json_object *o;
	char *t = strdup(s), *c;

	if (!t)
		abort();
	for (c = t; *c; c++)
		if (*c == '\'')
			*c = '"';
	o = json_tokener_parse_verbose(t, &e);
	if (e != json_tokener_success) {
		fprintf(stderr, "bad test JSON: %s\n", s);
		abort();
	}
	free(t);
	return o;
}

/* ---- RFC 7396 ---------------------------------------------------------- */

struct merge_case {
	const char *name, *target, *patch, *want;
};

static const struct merge_case merge_cases[] = {
	/* RFC 7396 appendix A, all 15 rows */
	{ "7396 A.1", "{'a':'b'}", "{'a':'c'}", "{'a':'c'}" },
	{ "7396 A.2", "{'a':'b'}", "{'b':'c'}", "{'a':'b','b':'c'}" },
	{ "7396 A.3", "{'a':'b'}", "{'a':null}", "{}" },
	{ "7396 A.4", "{'a':'b','b':'c'}", "{'a':null}", "{'b':'c'}" },
	{ "7396 A.5", "{'a':['b']}", "{'a':'c'}", "{'a':'c'}" },
	{ "7396 A.6", "{'a':'c'}", "{'a':['b']}", "{'a':['b']}" },
	{ "7396 A.7", "{'a':{'b':'c'}}", "{'a':{'b':'d','c':null}}",
	  "{'a':{'b':'d'}}" },
	{ "7396 A.8", "{'a':[{'b':'c'}]}", "{'a':[1]}", "{'a':[1]}" },
	{ "7396 A.9", "['a','b']", "['c','d']", "['c','d']" },
	{ "7396 A.10", "{'a':'b'}", "['c']", "['c']" },
	{ "7396 A.11", "{'a':'foo'}", "null", "null" },
	{ "7396 A.12", "{'a':'foo'}", "'bar'", "'bar'" },
	{ "7396 A.13", "{'e':null}", "{'a':1}", "{'e':null,'a':1}" },
	{ "7396 A.14", "[1,2]", "{'a':'b','c':null}", "{'a':'b'}" },
	{ "7396 A.15", "{}", "{'a':{'bb':{'ccc':null}}}", "{'a':{'bb':{}}}" },
	/* our own */
	{ "merge null target", "null", "{'a':{'b':null,'c':[1]}}",
	  "{'a':{'c':[1]}}" },
	{ "merge scalar target", "7", "{'x':1}", "{'x':1}" },
	{ "merge deep", "{'m':{'title':'a','draft':true,'n':{'k':1}},'z':0}",
	  "{'m':{'title':'x','draft':null,'n':{'j':2}}}",
	  "{'m':{'title':'x','n':{'k':1,'j':2}},'z':0}" },
	{ "merge empty patch", "{'a':1}", "{}", "{'a':1}" },
	{ "merge object over scalar member", "{'a':1}", "{'a':{'b':null,'c':2}}",
	  "{'a':{'c':2}}" },
};

static void test_merge_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(merge_cases) / sizeof(merge_cases[0]); i++) {
		const struct merge_case *c = &merge_cases[i];
		struct json_object *patch = j(c->patch), *want = j(c->want);
		struct json_object *patch_before = j(c->patch);
		struct json_object *got = jp_merge(j(c->target), patch);

		CHECK(jp_equal(patch, patch_before), c->name); /* patch untouched */
		json_object_put(patch); /* result must not share with the patch */
		if (!jp_equal(got, want))
			fprintf(stderr, "%s: got %s\n", c->name,
			        json_object_to_json_string(got));
		CHECK(jp_equal(got, want), c->name);
		json_object_put(got);
		json_object_put(want);
		json_object_put(patch_before);
	}
}

/* jp_merge_is_noop() must say exactly whether jp_merge() changes the
 * target: checked against a real merge of every merge case plus no-ops. */
static void test_merge_noop(void)
{
	static const char *const noops[][2] = {
		{ "{'a':1}", "{'a':1.0}" },
		{ "{'a':{'b':[1,{'c':null}]}}", "{'a':{'b':[1,{'c':null}]}}" },
		{ "{'a':1}", "{'b':null}" },
		{ "{'a':{'b':2}}", "{'a':{'x':null}}" },
		{ "{'e':null}", "{'e':null,'f':null}" },
		{ "{'a':1}", "{'a':{}}" },
		{ "{'a':{}}", "{'a':{}}" },
		{ "{'a':null}", "{'a':{}}" },
	};
	size_t i;

	for (i = 0; i < sizeof noops / sizeof noops[0] + sizeof(merge_cases) /
	            sizeof(merge_cases[0]); i++) {
		int is_case = i < sizeof(merge_cases) / sizeof(merge_cases[0]);
		size_t k = i - (is_case ? 0 : sizeof(merge_cases) / sizeof(merge_cases[0]));
		const char *t = is_case ? merge_cases[i].target : noops[k][0];
		const char *p = is_case ? merge_cases[i].patch : noops[k][1];
		struct json_object *target = j(t), *patch = j(p);
		struct json_object *merged = jp_merge(j(t), patch);
		int want = jp_equal(merged, target);

		if (jp_merge_is_noop(target, patch) != want)
			fprintf(stderr, "noop(%s, %s) != %d\n", t, p, want);
		CHECK(jp_merge_is_noop(target, patch) == want, "merge no-op predicate");
		json_object_put(merged);
		json_object_put(target);
		json_object_put(patch);
	}
}

/* The no-change check of a PATCH: numbers by exact decimal value. */
static void test_merge_noop_numbers(void)
{
	static const struct { const char *target, *patch; int noop; } cases[] = {
		{ "{'x':0.1}", "{'x':0.10000000000000000001}", 0 },
		{ "{'x':0.1}", "{'x':0.10}", 1 },
		{ "{'x':{'y':[1,2]}}", "{'x':{'y':[1.0,2e0]}}", 1 },
		{ "{'x':{'y':[1,2]}}", "{'x':{'y':[1.0,2.000000000000000000001]}}", 0 },
		{ "{'x':0}", "{'x':-0.0}", 1 },
		{ "{'x':0}", "{'x':1e-400}", 0 },
		{ "{'x':18446744073709551615}", "{'x':1.8446744073709551615e19}", 1 },
		{ "{'x':18446744073709551615}", "{'x':1.8446744073709551614e19}", 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct json_object *t = j(cases[i].target), *p = j(cases[i].patch);
		struct json_object *copy = NULL;
		if (jp_merge_is_noop(t, p) != cases[i].noop)
			fprintf(stderr, "noop(%s, %s) != %d\n", cases[i].target,
			        cases[i].patch, cases[i].noop);
		CHECK(jp_merge_is_noop(t, p) == cases[i].noop, "merge no-op, numbers");
		/* deep copies keep the numbers' text */
		json_object_deep_copy(t, &copy, NULL);
		CHECK(jp_merge_is_noop(copy, p) == cases[i].noop, "no-op on a deep copy");
		json_object_put(copy);
		json_object_put(t);
		json_object_put(p);
	}
}

static void test_merge_no_sharing(void)
{
	struct json_object *patch = j("{'a':{'b':[1,2]},'c':'s'}");
	struct json_object *got = jp_merge(NULL, patch), *arr = NULL;

	json_object_object_get_ex(json_object_object_get(got, "a"), "b", &arr);
	CHECK(arr != NULL, "merge result has a.b");
	json_object_array_add(arr, json_object_new_int(3));
	CHECK(json_object_array_length(json_object_object_get(
	      json_object_object_get(patch, "a"), "b")) == 2,
	      "mutating the merge result leaves the patch alone");
	json_object_put(patch);
	CHECK(json_object_array_length(arr) == 3, "result outlives the patch");
	json_object_put(got);
}

/* ---- RFC 6902 ---------------------------------------------------------- */

struct patch_case {
	const char *name, *doc, *patch;
	enum jp_status status;
	const char *want;      /* result on JP_OK */
	int index;             /* err.index on failure */
};

static const struct patch_case patch_cases[] = {
	/* RFC 6902 appendix A */
	{ "6902 A.1 add member", "{'foo':'bar'}",
	  "[{'op':'add','path':'/baz','value':'qux'}]",
	  JP_OK, "{'baz':'qux','foo':'bar'}", 0 },
	{ "6902 A.2 add array element", "{'foo':['bar','baz']}",
	  "[{'op':'add','path':'/foo/1','value':'qux'}]",
	  JP_OK, "{'foo':['bar','qux','baz']}", 0 },
	{ "6902 A.3 remove member", "{'baz':'qux','foo':'bar'}",
	  "[{'op':'remove','path':'/baz'}]", JP_OK, "{'foo':'bar'}", 0 },
	{ "6902 A.4 remove array element", "{'foo':['bar','qux','baz']}",
	  "[{'op':'remove','path':'/foo/1'}]", JP_OK, "{'foo':['bar','baz']}", 0 },
	{ "6902 A.5 replace", "{'baz':'qux','foo':'bar'}",
	  "[{'op':'replace','path':'/baz','value':'boo'}]",
	  JP_OK, "{'baz':'boo','foo':'bar'}", 0 },
	{ "6902 A.6 move member",
	  "{'foo':{'bar':'baz','waldo':'fred'},'qux':{'corge':'grault'}}",
	  "[{'op':'move','from':'/foo/waldo','path':'/qux/thud'}]", JP_OK,
	  "{'foo':{'bar':'baz'},'qux':{'corge':'grault','thud':'fred'}}", 0 },
	{ "6902 A.7 move array element", "{'foo':['all','grass','cows','eat']}",
	  "[{'op':'move','from':'/foo/1','path':'/foo/3'}]",
	  JP_OK, "{'foo':['all','cows','eat','grass']}", 0 },
	{ "6902 A.8 test success", "{'baz':'qux','foo':['a',2,'c']}",
	  "[{'op':'test','path':'/baz','value':'qux'},"
	  " {'op':'test','path':'/foo/1','value':2}]",
	  JP_OK, "{'baz':'qux','foo':['a',2,'c']}", 0 },
	{ "6902 A.9 test error", "{'baz':'qux'}",
	  "[{'op':'test','path':'/baz','value':'bar'}]", JP_ETEST, NULL, 0 },
	{ "6902 A.10 add nested object", "{'foo':'bar'}",
	  "[{'op':'add','path':'/child','value':{'grandchild':{}}}]",
	  JP_OK, "{'foo':'bar','child':{'grandchild':{}}}", 0 },
	{ "6902 A.11 ignore unknown members", "{'foo':'bar'}",
	  "[{'op':'add','path':'/baz','value':'qux','xyz':123}]",
	  JP_OK, "{'foo':'bar','baz':'qux'}", 0 },
	{ "6902 A.12 add to nonexistent target", "{'foo':'bar'}",
	  "[{'op':'add','path':'/baz/bat','value':'qux'}]", JP_EPATH, NULL, 0 },
	/* A.13: json-c keeps the last duplicate "op", so this is
	 * {"op":"remove","path":"/baz"} and fails because /baz is missing. The
	 * patch is rejected either way; strict duplicate detection would need
	 * the parser. See test_a13_duplicate_op() too. */
	{ "6902 A.13 invalid patch (duplicate op)", "{'foo':'bar'}",
	  "[{'op':'add','path':'/baz','value':'qux','op':'remove'}]",
	  JP_EPATH, NULL, 0 },
	{ "6902 A.14 ~ escape ordering", "{'/':9,'~1':10}",
	  "[{'op':'test','path':'/~01','value':10}]",
	  JP_OK, "{'/':9,'~1':10}", 0 },
	{ "6902 A.15 string vs number", "{'/':9,'~1':10}",
	  "[{'op':'test','path':'/~01','value':'10'}]", JP_ETEST, NULL, 0 },
	{ "6902 A.16 add array value", "{'foo':['bar']}",
	  "[{'op':'add','path':'/foo/-','value':['abc','def']}]",
	  JP_OK, "{'foo':['bar',['abc','def']]}", 0 },

	/* pointers: escapes, "-", indices */
	{ "~1 and ~0 in add", "{}",
	  "[{'op':'add','path':'/a~1b','value':1},"
	  " {'op':'add','path':'/m~0n','value':2},"
	  " {'op':'add','path':'/~01','value':3}]",
	  JP_OK, "{'a/b':1,'m~n':2,'~1':3}", 0 },
	{ "empty member name", "{}", "[{'op':'add','path':'/','value':1}]",
	  JP_OK, "{'':1}", 0 },
	{ "'-' is a plain member name in objects", "{}",
	  "[{'op':'add','path':'/-','value':1}]", JP_OK, "{'-':1}", 0 },
	{ "/- appends to root array", "[1,2]",
	  "[{'op':'add','path':'/-','value':3}]", JP_OK, "[1,2,3]", 0 },
	{ "add at index == length appends", "{'a':[1,2]}",
	  "[{'op':'add','path':'/a/2','value':3}]", JP_OK, "{'a':[1,2,3]}", 0 },
	{ "add at index 0", "{'a':[1,2]}",
	  "[{'op':'add','path':'/a/0','value':0}]", JP_OK, "{'a':[0,1,2]}", 0 },
	{ "add to empty array", "[]",
	  "[{'op':'add','path':'/0','value':{}}]", JP_OK, "[{}]", 0 },
	{ "add past the end", "{'a':[1,2]}",
	  "[{'op':'add','path':'/a/3','value':3}]", JP_EPATH, NULL, 0 },
	{ "leading zero index", "{'a':[1,2]}",
	  "[{'op':'remove','path':'/a/01'}]", JP_EPATH, NULL, 0 },
	{ "leading zero index on add", "{'a':[1,2]}",
	  "[{'op':'add','path':'/a/00','value':1}]", JP_EPATH, NULL, 0 },
	{ "negative index", "{'a':[1,2]}",
	  "[{'op':'remove','path':'/a/-1'}]", JP_EPATH, NULL, 0 },
	{ "non-numeric index", "{'a':[1,2]}",
	  "[{'op':'replace','path':'/a/x','value':1}]", JP_EPATH, NULL, 0 },
	{ "huge index", "{'a':[1,2]}",
	  "[{'op':'remove','path':'/a/99999999999999999999999999'}]",
	  JP_EPATH, NULL, 0 },
	{ "'-' not allowed in remove", "{'a':[1,2]}",
	  "[{'op':'remove','path':'/a/-'}]", JP_EPATH, NULL, 0 },
	{ "'-' not allowed in replace", "{'a':[1,2]}",
	  "[{'op':'replace','path':'/a/-','value':1}]", JP_EPATH, NULL, 0 },
	{ "'-' not allowed as move source", "{'a':[1,2]}",
	  "[{'op':'move','from':'/a/-','path':'/b'}]", JP_EPATH, NULL, 0 },
	{ "'-' in test is a failed test", "{'a':[1,2]}",
	  "[{'op':'test','path':'/a/-','value':2}]", JP_ETEST, NULL, 0 },
	{ "through a scalar", "{'foo':'bar'}",
	  "[{'op':'add','path':'/foo/bar','value':1}]", JP_EPATH, NULL, 0 },
	{ "trailing slash is an empty name", "{'foo':{}}",
	  "[{'op':'add','path':'/foo/','value':1}]", JP_OK, "{'foo':{'':1}}", 0 },
	{ "'0' is a member name in objects", "{'foo':1}",
	  "[{'op':'add','path':'/0','value':'bar'}]",
	  JP_OK, "{'foo':1,'0':'bar'}", 0 },
	{ "'1e0' is a member name, not an index", "{'1e0':'foo'}",
	  "[{'op':'test','path':'/1e0','value':'foo'}]",
	  JP_OK, "{'1e0':'foo'}", 0 },
	{ "'1e0' is not an array index", "['foo','sil']",
	  "[{'op':'add','path':'/1e0','value':'bar'}]", JP_EPATH, NULL, 0 },
	{ "append n levels down", "[1,2,[3,[4,5]]]",
	  "[{'op':'add','path':'/2/1/-','value':{'foo':['bar']}}]",
	  JP_OK, "[1,2,[3,[4,5,{'foo':['bar']}]]]", 0 },
	{ "repeated removes", "[1,2,3,4]",
	  "[{'op':'remove','path':'/1'},{'op':'remove','path':'/2'}]",
	  JP_OK, "[1,3]", 0 },
	{ "move member into array", "{'baz':[{'qux':'hello'}],'bar':1}",
	  "[{'op':'move','from':'/baz/0/qux','path':'/baz/1'}]",
	  JP_OK, "{'baz':[{},'hello'],'bar':1}", 0 },
	{ "move array element backwards", "[0,1,2,3,4]",
	  "[{'op':'move','from':'/3','path':'/1'}]", JP_OK, "[0,3,1,2,4]", 0 },
	{ "utf-8 member", "{'caf\xc3\xa9':1}",
	  "[{'op':'test','path':'/caf\xc3\xa9','value':1}]",
	  JP_OK, "{'caf\xc3\xa9':1}", 0 },

	/* the root */
	{ "add root", "{'a':1}", "[{'op':'add','path':'','value':[1]}]",
	  JP_OK, "[1]", 0 },
	{ "replace root", "{'a':1}",
	  "[{'op':'replace','path':'','value':{'b':2}}]", JP_OK, "{'b':2}", 0 },
	{ "replace root with null", "{'a':1}",
	  "[{'op':'replace','path':'','value':null}]", JP_OK, "null", 0 },
	{ "add to null document", "null",
	  "[{'op':'add','path':'','value':{'a':1}}]", JP_OK, "{'a':1}", 0 },
	{ "member of null document", "null",
	  "[{'op':'add','path':'/a','value':1}]", JP_EPATH, NULL, 0 },
	{ "test root", "{'a':[1,{'b':2}]}",
	  "[{'op':'test','path':'','value':{'a':[1.0,{'b':2}]}}]",
	  JP_OK, "{'a':[1,{'b':2}]}", 0 },
	{ "remove root", "{'a':1}", "[{'op':'remove','path':''}]",
	  JP_EPATH, NULL, 0 },

	/* remove, replace, move, copy, test details */
	{ "remove missing", "{'a':1}", "[{'op':'remove','path':'/b'}]",
	  JP_EPATH, NULL, 0 },
	{ "remove last array element", "[1,2,3]",
	  "[{'op':'remove','path':'/2'}]", JP_OK, "[1,2]", 0 },
	{ "replace missing member", "{'a':1}",
	  "[{'op':'replace','path':'/b','value':1}]", JP_EPATH, NULL, 0 },
	{ "replace array element", "[1,2,3]",
	  "[{'op':'replace','path':'/1','value':{'x':null}}]",
	  JP_OK, "[1,{'x':null},3]", 0 },
	{ "add null value", "{}", "[{'op':'add','path':'/a','value':null}]",
	  JP_OK, "{'a':null}", 0 },
	{ "add replaces a member", "{'a':{'b':1}}",
	  "[{'op':'add','path':'/a','value':2}]", JP_OK, "{'a':2}", 0 },
	{ "move into own child", "{'a':{'b':1}}",
	  "[{'op':'move','from':'/a','path':'/a/c'}]", JP_EPATH, NULL, 0 },
	{ "move root into child", "{'a':{'b':1}}",
	  "[{'op':'move','from':'','path':'/x'}]", JP_EPATH, NULL, 0 },
	{ "move onto itself", "{'a':{'b':1}}",
	  "[{'op':'move','from':'/a','path':'/a'}]", JP_OK, "{'a':{'b':1}}", 0 },
	{ "move missing onto itself", "{'a':1}",
	  "[{'op':'move','from':'/b','path':'/b'}]", JP_EPATH, NULL, 0 },
	{ "move sibling with common prefix", "{'a':1,'ab':{}}",
	  "[{'op':'move','from':'/a','path':'/ab/x'}]",
	  JP_OK, "{'ab':{'x':1}}", 0 },
	{ "move child up over its parent", "{'a':{'b':{'c':1}}}",
	  "[{'op':'move','from':'/a/b','path':'/a'}]", JP_OK, "{'a':{'c':1}}", 0 },
	{ "move to /-", "{'a':[1],'b':2}",
	  "[{'op':'move','from':'/b','path':'/a/-'}]", JP_OK, "{'a':[1,2]}", 0 },
	{ "move to bad target", "{'a':1}",
	  "[{'op':'move','from':'/a','path':'/x/y'}]", JP_EPATH, NULL, 0 },
	{ "copy then change the copy", "{'a':{'x':1}}",
	  "[{'op':'copy','from':'/a','path':'/b'},"
	  " {'op':'add','path':'/b/y','value':2}]",
	  JP_OK, "{'a':{'x':1},'b':{'x':1,'y':2}}", 0 },
	{ "copy into own child", "{'a':{'x':1}}",
	  "[{'op':'copy','from':'/a','path':'/a/c'}]",
	  JP_OK, "{'a':{'x':1,'c':{'x':1}}}", 0 },
	{ "copy root", "{'a':1}", "[{'op':'copy','from':'','path':'/b'}]",
	  JP_OK, "{'a':1,'b':{'a':1}}", 0 },
	{ "copy missing", "{'a':1}",
	  "[{'op':'copy','from':'/b','path':'/c'}]", JP_EPATH, NULL, 0 },
	{ "test number 1 == 1.0", "{'a':1}",
	  "[{'op':'test','path':'/a','value':1.0}]", JP_OK, "{'a':1}", 0 },
	{ "test member order", "{'a':{'x':1,'y':[true,null]}}",
	  "[{'op':'test','path':'/a','value':{'y':[true,null],'x':1e0}}]",
	  JP_OK, "{'a':{'x':1,'y':[true,null]}}", 0 },
	{ "test array order matters", "{'a':[1,2]}",
	  "[{'op':'test','path':'/a','value':[2,1]}]", JP_ETEST, NULL, 0 },
	{ "test missing path", "{'a':1}",
	  "[{'op':'test','path':'/b','value':null}]", JP_ETEST, NULL, 0 },
	{ "test null", "{'a':null}",
	  "[{'op':'test','path':'/a','value':null}]", JP_OK, "{'a':null}", 0 },
	{ "empty patch", "{'a':1}", "[]", JP_OK, "{'a':1}", 0 },

	/* atomicity: a later failure undoes earlier ops */
	{ "atomic after add", "{'a':[1,2]}",
	  "[{'op':'add','path':'/x','value':1},"
	  " {'op':'remove','path':'/a/0'},"
	  " {'op':'test','path':'/x','value':2}]", JP_ETEST, NULL, 2 },
	{ "atomic after replace root", "{'a':1}",
	  "[{'op':'replace','path':'','value':[]},"
	  " {'op':'remove','path':'/a'}]", JP_EPATH, NULL, 1 },
	{ "validation before execution", "{'a':1}",
	  "[{'op':'test','path':'/a','value':2}, {'op':'bogus','path':'/a'}]",
	  JP_EINVALID, NULL, 1 },

	/* malformed patch documents */
	{ "patch not an array", "{}", "{'op':'add','path':'/a','value':1}",
	  JP_EINVALID, NULL, -1 },
	{ "patch is null", "{}", "null", JP_EINVALID, NULL, -1 },
	{ "op not an object", "{}", "[{'op':'test','path':'','value':{}}, 1]",
	  JP_EINVALID, NULL, 1 },
	{ "missing op", "{}", "[{'path':'/a','value':1}]", JP_EINVALID, NULL, 0 },
	{ "op not a string", "{}", "[{'op':1,'path':'/a'}]",
	  JP_EINVALID, NULL, 0 },
	{ "unknown op", "{}", "[{'op':'ADD','path':'/a','value':1}]",
	  JP_EINVALID, NULL, 0 },
	{ "missing path", "{}", "[{'op':'add','value':1}]",
	  JP_EINVALID, NULL, 0 },
	{ "path not a string", "{}", "[{'op':'remove','path':null}]",
	  JP_EINVALID, NULL, 0 },
	{ "path without leading /", "{'a':1}", "[{'op':'remove','path':'a'}]",
	  JP_EINVALID, NULL, 0 },
	{ "bad ~ escape", "{}", "[{'op':'add','path':'/a~2','value':1}]",
	  JP_EINVALID, NULL, 0 },
	{ "trailing ~", "{}", "[{'op':'add','path':'/a~','value':1}]",
	  JP_EINVALID, NULL, 0 },
	{ "missing value", "{}", "[{'op':'add','path':'/a'}]",
	  JP_EINVALID, NULL, 0 },
	{ "missing value in test", "{}", "[{'op':'test','path':''}]",
	  JP_EINVALID, NULL, 0 },
	{ "missing from", "{'a':1}", "[{'op':'move','path':'/b'}]",
	  JP_EINVALID, NULL, 0 },
	{ "bad from syntax", "{'a':1}",
	  "[{'op':'copy','from':'a','path':'/b'}]", JP_EINVALID, NULL, 0 },
	{ "NUL in path", "{}", "[{'op':'add','path':'/a\\u0000b','value':1}]",
	  JP_EINVALID, NULL, 0 },
	{ "NUL in op", "{}", "[{'op':'add\\u0000x','path':'/a','value':1}]",
	  JP_EINVALID, NULL, 0 },
};

static void test_patch_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(patch_cases) / sizeof(patch_cases[0]); i++) {
		const struct patch_case *c = &patch_cases[i];
		struct json_object *doc = j(c->doc), *before = j(c->doc);
		struct json_object *orig = doc, *ops = j(c->patch);
		struct jp_error err;
		enum jp_status st;

		memset(&err, 'x', sizeof(err));
		st = jp_apply(&doc, ops, &err);
		json_object_put(ops); /* the result must not share with ops */
		if (st != c->status)
			fprintf(stderr, "%s: status %d (%s)\n", c->name, (int)st,
			        err.msg);
		CHECK(st == c->status, c->name);
		CHECK(memchr(err.msg, '\0', sizeof(err.msg)) != NULL, c->name);
		if (c->status == JP_OK) {
			struct json_object *want = j(c->want);

			if (!jp_equal(doc, want))
				fprintf(stderr, "%s: got %s\n", c->name,
				        json_object_to_json_string(doc));
			CHECK(jp_equal(doc, want), c->name);
			CHECK(err.index == -1 && err.msg[0] == '\0', c->name);
			json_object_put(want);
		} else {
			CHECK(doc == orig, c->name);           /* same object */
			CHECK(jp_equal(doc, before), c->name); /* same content */
			CHECK(err.index == c->index, c->name);
			CHECK(err.msg[0] != '\0', c->name);
		}
		json_object_put(doc);
		json_object_put(before);
	}
}

/* A.13 as json-c sees it: the last duplicate wins. */
static void test_a13_duplicate_op(void)
{
	struct json_object *ops =
		j("[{'op':'add','path':'/baz','value':'qux','op':'remove'}]");
	struct json_object *op = json_object_array_get_idx(ops, 0);

	CHECK_STR(json_object_get_string(json_object_object_get(op, "op")),
	          "remove", "json-c keeps the last duplicate key");
	json_object_put(ops);
}

/* Runs ops (JSON text) on doc (JSON text) and returns the error message. */
static enum jp_status run(const char *doc_s, const char *ops_s,
                          struct jp_error *err)
{
	struct json_object *doc = j(doc_s), *ops = j(ops_s);
	enum jp_status st = jp_apply(&doc, ops, err);

	json_object_put(doc);
	json_object_put(ops);
	return st;
}

static void test_messages(void)
{
	struct jp_error err;

	CHECK(run("{'foo':'bar'}",
	          "[{'op':'add','path':'/baz/bat','value':'qux'}]", &err)
	      == JP_EPATH, "A.12 status");
	CHECK_STR(err.msg, "path '/baz/bat' does not exist", "A.12 message");
	CHECK(run("{'a':1}", "[{'op':'test','path':'/a','value':2}]", &err)
	      == JP_ETEST, "test status");
	CHECK_STR(err.msg, "test failed: value at '/a' differs", "test message");
	CHECK(run("{}", "[{'op':'remove','path':'/a\\nb'}]", &err) == JP_EPATH,
	      "control byte status");
	CHECK_STR(err.msg, "path '/a?b' does not exist", "control byte shown as ?");
	CHECK(run("{}", "[{'op':'frobnicate','path':''}]", &err) == JP_EINVALID,
	      "unknown op status");
	CHECK_STR(err.msg, "unknown op 'frobnicate'", "unknown op message");
	CHECK(run("{'a':{}}", "[{'op':'move','from':'/a','path':'/a/b'}]", &err)
	      == JP_EPATH, "own child status");
	CHECK_STR(err.msg, "cannot move '/a' into its own child",
	          "own child message");
	CHECK(run("{}", "[{'op':'remove','path':''}]", &err) == JP_EPATH,
	      "remove root status");
	CHECK_STR(err.msg, "cannot remove the document root",
	          "remove root message");
	{
		struct json_object *d = j("{}"), *o = j("[{'op':'add','path':'/a','value':1}]");

		CHECK(jp_apply(&d, o, NULL) == JP_OK, "err may be NULL");
		json_object_put(d);
		json_object_put(o);
	}
}

/* Member names of any length; messages quote at most ~60 bytes of them. */
static void test_long_names(void)
{
	size_t n = 100000, i;
	char *name = malloc(n + 2), *path = malloc(n + 2);
	struct json_object *doc = json_object_new_object(), *ops, *op, *got;
	struct jp_error err;
	const char *q;

	if (!name || !path)
		abort();
	for (i = 0; i < n; i++)
		name[i] = (char)('a' + i % 26);
	name[n] = '\0';
	path[0] = '/';
	memcpy(path + 1, name, n + 1);

	ops = json_object_new_array();
	op = json_object_new_object();
	json_object_object_add(op, "op", json_object_new_string("add"));
	json_object_object_add(op, "path", json_object_new_string(path));
	json_object_object_add(op, "value", json_object_new_int(1));
	json_object_array_add(ops, op);
	op = json_object_new_object();
	json_object_object_add(op, "op", json_object_new_string("test"));
	json_object_object_add(op, "path", json_object_new_string(path));
	json_object_object_add(op, "value", json_object_new_double(1.0));
	json_object_array_add(ops, op);
	CHECK(jp_apply(&doc, ops, &err) == JP_OK, "long name add+test");
	CHECK(json_object_object_get_ex(doc, name, &got) &&
	      json_object_get_int(got) == 1, "long name stored untruncated");
	json_object_put(ops);

	ops = json_object_new_array();
	op = json_object_new_object();
	json_object_object_add(op, "op", json_object_new_string("remove"));
	path[n] = 'Z'; /* a different, missing name */
	json_object_object_add(op, "path", json_object_new_string(path));
	json_object_array_add(ops, op);
	CHECK(jp_apply(&doc, ops, &err) == JP_EPATH, "long missing name");
	q = strchr(err.msg, '\'');
	CHECK(q && strstr(err.msg, "...'") &&
	      (size_t)(strstr(err.msg, "...'") - q - 1) <= 60,
	      "long name clipped in message");
	CHECK(json_object_object_length(doc) == 1, "doc unchanged");
	json_object_put(ops);
	json_object_put(doc);
	free(name);
	free(path);

	/* clipping never splits a UTF-8 character: '/' + 100 x U+00E9 */
	{
		char buf[512], want[128];
		size_t k;

		strcpy(buf, "[{'op':'remove','path':'/");
		for (k = 0; k < 100; k++)
			strcat(buf, "\xc3\xa9");
		strcat(buf, "'}]");
		strcpy(want, "path '/");
		for (k = 0; k < 27; k++)
			strcat(want, "\xc3\xa9");
		strcat(want, "...' does not exist");
		CHECK(run("{}", buf, &err) == JP_EPATH, "utf-8 clip status");
		CHECK_STR(err.msg, want, "utf-8 clipped on a character boundary");
	}
}

/* ---- jp_equal ---------------------------------------------------------- */

struct equal_case {
	const char *a, *b;
	int want;
};

static const struct equal_case equal_cases[] = {
	{ "1", "1.0", 1 },
	{ "1.0", "1", 1 },
	{ "1", "1e0", 1 },
	{ "0", "-0.0", 1 },
	{ "-5", "-5.0", 1 },
	{ "-5", "5", 0 },
	{ "1", "1.5", 0 },
	{ "1", "'1'", 0 },
	{ "1", "true", 0 },
	{ "0", "false", 0 },
	{ "0", "null", 0 },
	{ "null", "null", 1 },
	{ "true", "true", 1 },
	{ "true", "false", 0 },
	{ "''", "''", 1 },
	{ "'a'", "'ab'", 0 },
	{ "'a\\u0000b'", "'a\\u0000c'", 0 },
	{ "[]", "{}", 0 },
	{ "[1,[2]]", "[1.0,[2.0]]", 1 },
	{ "[1,2]", "[1,2,3]", 0 },
	{ "{'a':1,'b':2}", "{'b':2,'a':1}", 1 },
	{ "{'a':1}", "{'a':1,'b':2}", 0 },
	{ "{'a':1,'b':2}", "{'a':1}", 0 },
	{ "{'a':null}", "{'b':null}", 0 },
	{ "{'a':null}", "{}", 0 },
	{ "9007199254740993", "9007199254740992.0", 0 }, /* 2^53 + 1 */
	{ "9007199254740992", "9007199254740992.0", 1 },
	{ "18446744073709551615", "18446744073709551615", 1 },
	{ "18446744073709551615", "9223372036854775807", 0 },
	{ "-9223372036854775808", "-9223372036854775808", 1 },
	{ "-1", "18446744073709551615", 0 },
	{ "9223372036854775808", "9223372036854775808.0", 1 }, /* 2^63 */
	/* exact decimal values, as PostgreSQL's numeric compares them */
	{ "0.1", "0.10000000000000000001", 0 },   /* the same double */
	{ "0.1", "0.1000000000000000055511151231257827", 0 },
	{ "0.1", "0.10", 1 },
	{ "0.1", "1e-1", 1 },
	{ "0.1", "0.01e1", 1 },
	{ "1.0", "10e-1", 1 },
	{ "1", "1E0", 1 },
	{ "1", "1e+0", 1 },
	{ "100", "1e2", 1 },
	{ "100", "1.00e2", 1 },
	{ "100", "0.001e5", 1 },
	{ "12345678901234567890", "1.234567890123456789e19", 1 },
	{ "12345678901234567890", "1.2345678901234567891e19", 0 },
	{ "-0", "0", 1 },
	{ "-0.0", "0e5", 1 },
	{ "0", "0.000e-7", 1 },
	{ "0", "1e-400", 0 },     /* a double would say 0.0 == 0.0 */
	{ "1e-400", "1e-401", 0 },
	{ "1e-400", "10e-401", 1 },
	{ "1e400", "1e400", 1 },  /* both inf as doubles */
	{ "1e400", "2e400", 0 },
	{ "-1.5", "-1.50", 1 },
	{ "-1.5", "1.5", 0 },
	{ "1.5", "15e-1", 1 },
	{ "1.5", "1.05", 0 },
	{ "9007199254740993", "9007199254740993.0", 1 },  /* 2^53 + 1 */
	{ "9007199254740993", "9.007199254740993e15", 1 },
	{ "123", "1230e-1", 1 },
	{ "123", "1231e-1", 0 },
	{ "0.5", "5e-1", 1 },
	{ "[0.1,{'x':0.1}]", "[0.10,{'x':0.10000000000000000001}]", 0 },
	{ "[0.1,{'x':1}]", "[1e-1,{'x':1.000}]", 1 },
};

static void test_equal_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(equal_cases) / sizeof(equal_cases[0]); i++) {
		const struct equal_case *c = &equal_cases[i];
		struct json_object *a = j(c->a), *b = j(c->b);

		if (jp_equal(a, b) != c->want || jp_equal(b, a) != c->want)
			fprintf(stderr, "jp_equal(%s, %s) != %d\n", c->a, c->b,
			        c->want);
		CHECK(jp_equal(a, b) == c->want, "jp_equal");
		CHECK(jp_equal(b, a) == c->want, "jp_equal symmetric");
		json_object_put(a);
		json_object_put(b);
	}
}

/* Each copy of the root into itself doubles the document: a few dozen ops
 * of a tiny patch would take all memory. The copy budget stops it, and the
 * document is left as it was. */
static void test_copy_bomb(void)
{
	struct json_object *doc = j("{\"a\":[1,2,3,4,5,6,7,8]}");
	struct json_object *before = j("{\"a\":[1,2,3,4,5,6,7,8]}");
	char ops_s[4096] = "[";
	for (int i = 0; i < 40; i++)
		strcat(ops_s, i ? ",{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/a/-\"}"
		                : "{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/a/-\"}");
	strcat(ops_s, "]");
	struct json_object *ops = j(ops_s);
	struct jp_error err;
	CHECK(jp_apply(&doc, ops, &err) == JP_ELIMIT, "copy bomb refused");
	CHECK(jp_equal(doc, before), "document unchanged after the refused bomb");
	struct json_object *few = j("[{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/b\"}]");
	CHECK(jp_apply(&doc, few, &err) == JP_OK, "an ordinary copy still works");
	json_object_put(few);
	json_object_put(ops);
	json_object_put(doc);
	json_object_put(before);
}

int main(void)
{
	test_copy_bomb();
	test_merge_table();
	test_merge_no_sharing();
	test_merge_noop();
	test_merge_noop_numbers();
	test_patch_table();
	test_a13_duplicate_op();
	test_messages();
	test_long_names();
	test_equal_table();
	return check_summary();
}
