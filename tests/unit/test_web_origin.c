/* Host and Origin checks against DNS rebinding and CSRF (issue 13, finding 2). */
#include "lib/web_origin.h"
#include "test_util.h"

static void test_origin_is_parsed_not_prefix_matched(void **state) {
  (void)state;
  /* The old check took any text starting with a loopback origin. */
  assert_false(web_origin_allowed("http://localhost:80@evil.example", NULL, NULL));
  assert_false(web_origin_allowed("http://localhost.evil.example", NULL, NULL));
  assert_false(web_origin_allowed("http://127.0.0.1/evil", NULL, NULL));
  assert_false(web_origin_allowed("http://127.0.0.1:8420/", NULL, NULL));
  assert_false(web_origin_allowed("null", NULL, NULL));
  assert_false(web_origin_allowed("file://localhost", NULL, NULL));
  assert_false(web_origin_allowed("http://evil.example", NULL, NULL));
  assert_false(web_origin_allowed("http://[::1", NULL, NULL));
  assert_false(web_origin_allowed("http://localhost:99999", NULL, NULL));
}

static void test_loopback_and_listed_origins_pass(void **state) {
  (void)state;
  assert_true(web_origin_allowed(NULL, NULL, NULL));
  assert_true(web_origin_allowed("http://localhost", NULL, NULL));
  assert_true(web_origin_allowed("http://LOCALHOST:8420", NULL, NULL));
  assert_true(web_origin_allowed("https://127.0.0.1:1", NULL, NULL));
  assert_true(web_origin_allowed("http://127.5.6.7:8420", NULL, NULL));
  assert_true(web_origin_allowed("http://[::1]:8420", NULL, NULL));
  const char *const listed[] = {"https://lab.example:8443", NULL};
  assert_true(web_origin_allowed("https://lab.example:8443", NULL, listed));
  assert_false(web_origin_allowed("http://lab.example:8443", NULL, listed));
  assert_false(web_origin_allowed("https://lab.example", NULL, listed));
}

static void test_same_origin_is_the_requests_own_host(void **state) {
  (void)state;
  assert_true(web_origin_allowed("http://10.1.2.3:8420", "10.1.2.3:8420", NULL));
  assert_false(web_origin_allowed("http://10.1.2.3:8421", "10.1.2.3:8420", NULL));
  assert_false(web_origin_allowed("http://10.9.9.9:8420", "10.1.2.3:8420", NULL));
}

static void test_host_names_a_rebinding_page_cannot_use(void **state) {
  (void)state;
  assert_true(web_host_allowed(NULL, NULL));
  assert_true(web_host_allowed("127.0.0.1:8420", NULL));
  assert_true(web_host_allowed("localhost:8420", NULL));
  assert_true(web_host_allowed("LocalHost", NULL));
  assert_true(web_host_allowed("[::1]:8420", NULL));
  assert_true(web_host_allowed("192.168.1.5", NULL));
  assert_false(web_host_allowed("evil.example:8420", NULL));
  assert_false(web_host_allowed("localhost.evil.example", NULL));
  assert_false(web_host_allowed("127.0.0.1.evil.example", NULL));
  assert_false(web_host_allowed("", NULL));
  assert_false(web_host_allowed("a@127.0.0.1", NULL));
  const char *const names[] = {"lab.example", NULL};
  assert_true(web_host_allowed("lab.example:8420", names));
  assert_false(web_host_allowed("lab.example.evil", names));
}

static void test_content_type(void **state) {
  (void)state;
  assert_true(web_content_type_json("application/json"));
  assert_true(web_content_type_json("Application/JSON; charset=utf-8"));
  assert_false(web_content_type_json(NULL));
  assert_false(web_content_type_json("text/plain"));
  assert_false(web_content_type_json("application/jsonp"));
  assert_false(web_content_type_json("application/x-www-form-urlencoded"));
  assert_false(web_content_type_json("multipart/form-data; boundary=x"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_origin_is_parsed_not_prefix_matched),
      cmocka_unit_test(test_loopback_and_listed_origins_pass),
      cmocka_unit_test(test_same_origin_is_the_requests_own_host),
      cmocka_unit_test(test_host_names_a_rebinding_page_cannot_use),
      cmocka_unit_test(test_content_type),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
