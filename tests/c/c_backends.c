/* Backends written in C: see c_backends.h. Strict C99 (no POSIX). */
#include "c_backends.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* Helpers */

static char* copy_text(const char* s) {
  size_t n;
  char* p;
  if (s == NULL) s = "";
  n = strlen(s);
  p = (char*)malloc(n + 1);
  if (p != NULL) memcpy(p, s, n + 1);
  return p;
}

/* Grows *items (of *cap elements of `size` bytes) to hold at least `need`. 0 on failure. */
static int grow(void** items, size_t* cap, size_t need, size_t size) {
  size_t n;
  void* p;
  if (need <= *cap) return 1;
  n = *cap == 0 ? 16 : *cap * 2;
  while (n < need) n *= 2;
  p = realloc(*items, n * size);
  if (p == NULL) return 0;
  memset((char*)p + *cap * size, 0, (n - *cap) * size);
  *items = p;
  *cap = n;
  return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* Array storage */

typedef struct stored_campaign {
  char* id;
  char* json;
  uint64_t next_list_order;
} stored_campaign;

typedef struct stored_list {
  char* campaign_id;
  char* name;
  int active;
} stored_list;

typedef struct stored_lease {
  int held;
  char* owner;
  int64_t expiry_ms;
} stored_lease;

typedef struct stored_dnc {
  char* list;
  char* e164;
} stored_dnc;

struct array_storage {
  long calls;
  stored_campaign* campaigns;
  size_t campaign_count, campaign_cap;
  stored_list* lists;
  size_t list_count, list_cap;
  omnivox_contact* contacts; /* index = id - 1; deep copies */
  size_t contact_count, contact_cap;
  stored_lease* leases; /* index = contact id - 1 */
  size_t lease_cap;
  omnivox_attempt* attempts; /* index = call id - 1; call_id 0 = empty slot */
  size_t attempt_cap;
  omnivox_call_id last_call_id;
  stored_dnc* dnc;
  size_t dnc_count, dnc_cap;
  char** processed;
  size_t processed_count, processed_cap;
  omnivox_engine* probe_engine;
  int* probe_status;
};

static void free_contact(omnivox_contact* c) {
  size_t i;
  free((char*)c->campaign_id);
  free((char*)c->list_name);
  free((char*)c->external_id);
  free((char*)c->time_zone);
  for (i = 0; i < c->number_count; ++i) free((char*)c->numbers[i].e164);
  free((void*)c->numbers);
  for (i = 0; i < c->attribute_count; ++i) {
    free((char*)c->attributes[i].name);
    free((char*)c->attributes[i].value);
  }
  free((void*)c->attributes);
  memset(c, 0, sizeof *c);
}

/* Deep copy of a contact the engine passed in. 0 on failure. */
static int copy_contact(omnivox_contact* dst, const omnivox_contact* src) {
  size_t i;
  omnivox_phone_number* numbers = NULL;
  omnivox_attribute* attributes = NULL;
  *dst = *src;
  dst->campaign_id = copy_text(src->campaign_id);
  dst->list_name = copy_text(src->list_name);
  dst->external_id = copy_text(src->external_id);
  dst->time_zone = copy_text(src->time_zone);
  if (src->number_count > 0) {
    numbers = (omnivox_phone_number*)calloc(src->number_count, sizeof *numbers);
    if (numbers == NULL) return 0;
    for (i = 0; i < src->number_count; ++i) {
      numbers[i] = src->numbers[i];
      numbers[i].e164 = copy_text(src->numbers[i].e164);
    }
  }
  if (src->attribute_count > 0) {
    attributes = (omnivox_attribute*)calloc(src->attribute_count, sizeof *attributes);
    if (attributes == NULL) return 0;
    for (i = 0; i < src->attribute_count; ++i) {
      attributes[i].name = copy_text(src->attributes[i].name);
      attributes[i].value = copy_text(src->attributes[i].value);
    }
  }
  dst->numbers = numbers;
  dst->attributes = attributes;
  return 1;
}

static void free_attempt(omnivox_attempt* a) {
  free((char*)a->campaign_id);
  free((char*)a->number);
  free((char*)a->caller_id);
  free((char*)a->provider_call_id);
  memset(a, 0, sizeof *a);
}

static void copy_attempt(omnivox_attempt* dst, const omnivox_attempt* src) {
  *dst = *src;
  dst->campaign_id = copy_text(src->campaign_id);
  dst->number = copy_text(src->number);
  dst->caller_id = copy_text(src->caller_id);
  dst->provider_call_id = copy_text(src->provider_call_id);
}

static stored_campaign* find_campaign(array_storage* s, const char* id, int create) {
  size_t i;
  for (i = 0; i < s->campaign_count; ++i) {
    if (strcmp(s->campaigns[i].id, id) == 0) return &s->campaigns[i];
  }
  if (!create) return NULL;
  if (!grow((void**)&s->campaigns, &s->campaign_cap, s->campaign_count + 1, sizeof *s->campaigns)) {
    return NULL;
  }
  s->campaigns[s->campaign_count].id = copy_text(id);
  s->campaigns[s->campaign_count].json = NULL;
  s->campaigns[s->campaign_count].next_list_order = 1;
  return &s->campaigns[s->campaign_count++];
}

static int st_put_campaign(void* ud, const char* id, const char* json) {
  array_storage* s = (array_storage*)ud;
  stored_campaign* c;
  ++s->calls;
  c = find_campaign(s, id, 1);
  if (c == NULL) return OMNIVOX_ESTORAGE;
  free(c->json);
  c->json = copy_text(json);
  return OMNIVOX_OK;
}

static int st_get_campaign(void* ud, const char* id, void (*receive)(void*, const char*),
                           void* ctx) {
  array_storage* s = (array_storage*)ud;
  stored_campaign* c;
  ++s->calls;
  c = find_campaign(s, id, 0);
  if (c == NULL || c->json == NULL) return OMNIVOX_ENOTFOUND;
  receive(ctx, c->json);
  return OMNIVOX_OK;
}

static int st_put_list(void* ud, const omnivox_contact_list* list) {
  array_storage* s = (array_storage*)ud;
  size_t i;
  ++s->calls;
  for (i = 0; i < s->list_count; ++i) {
    if (strcmp(s->lists[i].campaign_id, list->campaign_id) == 0 &&
        strcmp(s->lists[i].name, list->name) == 0) {
      s->lists[i].active = list->active;
      return OMNIVOX_OK;
    }
  }
  if (!grow((void**)&s->lists, &s->list_cap, s->list_count + 1, sizeof *s->lists)) {
    return OMNIVOX_ESTORAGE;
  }
  s->lists[s->list_count].campaign_id = copy_text(list->campaign_id);
  s->lists[s->list_count].name = copy_text(list->name);
  s->lists[s->list_count].active = list->active;
  ++s->list_count;
  return OMNIVOX_OK;
}

static int st_scan_lists(void* ud, const char* campaign_id, omnivox_list_visitor visit, void* ctx) {
  array_storage* s = (array_storage*)ud;
  size_t i;
  ++s->calls;
  for (i = 0; i < s->list_count; ++i) {
    omnivox_contact_list l;
    if (strcmp(s->lists[i].campaign_id, campaign_id) != 0) continue;
    l.campaign_id = s->lists[i].campaign_id;
    l.name = s->lists[i].name;
    l.active = s->lists[i].active;
    if (!visit(ctx, &l)) break;
  }
  return OMNIVOX_OK;
}

static int st_add_contact(void* ud, const omnivox_contact* contact, omnivox_contact_id* out_id,
                          uint64_t* out_list_order) {
  array_storage* s = (array_storage*)ud;
  stored_campaign* campaign;
  omnivox_contact* c;
  ++s->calls;
  campaign = find_campaign(s, contact->campaign_id, 1);
  if (campaign == NULL) return OMNIVOX_ESTORAGE;
  if (!grow((void**)&s->contacts, &s->contact_cap, s->contact_count + 1, sizeof *s->contacts)) {
    return OMNIVOX_ESTORAGE;
  }
  c = &s->contacts[s->contact_count];
  if (!copy_contact(c, contact)) return OMNIVOX_ESTORAGE;
  c->id = (omnivox_contact_id)(s->contact_count + 1);
  c->list_order = campaign->next_list_order++;
  ++s->contact_count;
  *out_id = c->id;
  *out_list_order = c->list_order;
  return OMNIVOX_OK;
}

static omnivox_contact* contact_of(array_storage* s, omnivox_contact_id id) {
  if (id == 0 || id > s->contact_count) return NULL;
  return &s->contacts[id - 1];
}

static int st_get_contact(void* ud, omnivox_contact_id id,
                          void (*receive)(void*, const omnivox_contact*), void* ctx) {
  array_storage* s = (array_storage*)ud;
  omnivox_contact* c;
  ++s->calls;
  c = contact_of(s, id);
  if (c == NULL) return OMNIVOX_ENOTFOUND;
  receive(ctx, c);
  return OMNIVOX_OK;
}

static int st_update_contact(void* ud, const omnivox_contact* contact) {
  array_storage* s = (array_storage*)ud;
  omnivox_contact* c;
  omnivox_contact copy;
  uint64_t list_order;
  char* campaign;
  ++s->calls;
  c = contact_of(s, contact->id);
  if (c == NULL) return OMNIVOX_ENOTFOUND;
  if (!copy_contact(&copy, contact)) return OMNIVOX_ESTORAGE;
  /* Keep the stored campaign and list order. */
  list_order = c->list_order;
  campaign = copy_text(c->campaign_id);
  free_contact(c);
  *c = copy;
  free((char*)c->campaign_id);
  c->campaign_id = campaign;
  c->list_order = list_order;
  return OMNIVOX_OK;
}

static int dialable(int status) {
  return status == OMNIVOX_CONTACT_NEW || status == OMNIVOX_CONTACT_RETRY ||
         status == OMNIVOX_CONTACT_CALLBACK;
}

/* Dialing order: priority (higher first), then list order. */
static int by_priority(const void* a, const void* b) {
  const omnivox_contact* x = *(const omnivox_contact* const*)a;
  const omnivox_contact* y = *(const omnivox_contact* const*)b;
  if (x->priority != y->priority) return x->priority > y->priority ? -1 : 1;
  if (x->list_order != y->list_order) return x->list_order < y->list_order ? -1 : 1;
  return 0;
}

/* Dialable scan order: CALLBACK first by (due, id), then the others by priority. */
static int by_dialing_order(const void* a, const void* b) {
  const omnivox_contact* x = *(const omnivox_contact* const*)a;
  const omnivox_contact* y = *(const omnivox_contact* const*)b;
  int xc = x->status == OMNIVOX_CONTACT_CALLBACK, yc = y->status == OMNIVOX_CONTACT_CALLBACK;
  if (xc != yc) return xc ? -1 : 1;
  if (xc) {
    if (x->next_attempt_at_ms != y->next_attempt_at_ms) {
      return x->next_attempt_at_ms < y->next_attempt_at_ms ? -1 : 1;
    }
    return x->id < y->id ? -1 : (x->id > y->id ? 1 : 0);
  }
  return by_priority(a, b);
}

static int st_scan_contacts(void* ud, const omnivox_contact_scan* scan,
                            omnivox_contact_visitor visit, void* ctx, uint64_t* visited) {
  array_storage* s = (array_storage*)ud;
  const omnivox_contact** order;
  size_t i, n = 0;
  ++s->calls;
  *visited = 0;
  if (s->contact_count == 0) return OMNIVOX_OK;
  order = (const omnivox_contact**)malloc(s->contact_count * sizeof *order);
  if (order == NULL) return OMNIVOX_ESTORAGE;
  for (i = 0; i < s->contact_count; ++i) {
    const omnivox_contact* c = &s->contacts[i];
    if (strcmp(c->campaign_id, scan->campaign_id) != 0) continue;
    if (scan->dialable_only && (!dialable(c->status) || c->next_attempt_at_ms > scan->due_by_ms)) {
      continue;
    }
    order[n++] = c;
  }
  qsort((void*)order, n, sizeof *order, scan->dialable_only ? by_dialing_order : by_priority);
  for (i = 0; i < n; ++i) {
    ++*visited;
    if (!visit(ctx, order[i])) break;
  }
  free((void*)order);
  return OMNIVOX_OK;
}

/* Statistics read the counts: a storage function calling back into the engine, once. */
static void probe_engine_once(array_storage* s) {
  if (s->probe_engine != NULL && s->probe_status != NULL) {
    int64_t now = 0;
    *s->probe_status = omnivox_engine_now(s->probe_engine, &now, NULL);
    s->probe_engine = NULL;
  }
}

static int st_contact_count(void* ud, const char* campaign_id, uint64_t* out) {
  array_storage* s = (array_storage*)ud;
  size_t i;
  ++s->calls;
  probe_engine_once(s);
  *out = 0;
  for (i = 0; i < s->contact_count; ++i) {
    if (strcmp(s->contacts[i].campaign_id, campaign_id) == 0) ++*out;
  }
  return OMNIVOX_OK;
}

static int st_count_by_status(void* ud, const char* campaign_id,
                              uint64_t out[OMNIVOX_CONTACT_STATUS_COUNT]) {
  array_storage* s = (array_storage*)ud;
  size_t i;
  ++s->calls;
  probe_engine_once(s);
  for (i = 0; i < OMNIVOX_CONTACT_STATUS_COUNT; ++i) out[i] = 0;
  for (i = 0; i < s->contact_count; ++i) {
    const omnivox_contact* c = &s->contacts[i];
    if (strcmp(c->campaign_id, campaign_id) != 0) continue;
    if (c->status >= 0 && c->status < OMNIVOX_CONTACT_STATUS_COUNT) ++out[c->status];
  }
  return OMNIVOX_OK;
}

static stored_lease* lease_of(array_storage* s, omnivox_contact_id id) {
  if (id == 0 || id > s->contact_count) return NULL;
  if (!grow((void**)&s->leases, &s->lease_cap, s->contact_count, sizeof *s->leases)) return NULL;
  return &s->leases[id - 1];
}

static int st_claim_leases(void* ud, const omnivox_contact_id* ids, size_t count, const char* owner,
                           int64_t now_ms, int64_t ttl_ms, omnivox_contact_id* claimed,
                           size_t* claimed_count) {
  array_storage* s = (array_storage*)ud;
  size_t i;
  ++s->calls;
  *claimed_count = 0;
  for (i = 0; i < count; ++i) {
    stored_lease* l = lease_of(s, ids[i]);
    if (l == NULL) continue;
    if (l->held && strcmp(l->owner, owner) != 0 && l->expiry_ms > now_ms) continue;
    if (l->owner == NULL || strcmp(l->owner, owner) != 0) {
      free(l->owner);
      l->owner = copy_text(owner);
    }
    l->held = 1;
    l->expiry_ms = now_ms + ttl_ms;
    claimed[(*claimed_count)++] = ids[i];
  }
  return OMNIVOX_OK;
}

static int st_renew_lease(void* ud, omnivox_contact_id id, const char* owner, int64_t now_ms,
                          int64_t ttl_ms, int* renewed) {
  array_storage* s = (array_storage*)ud;
  stored_lease* l;
  ++s->calls;
  l = lease_of(s, id);
  *renewed = 0;
  if (l == NULL || !l->held || strcmp(l->owner, owner) != 0) return OMNIVOX_OK;
  l->expiry_ms = now_ms + ttl_ms;
  *renewed = 1;
  return OMNIVOX_OK;
}

static int st_release_lease(void* ud, omnivox_contact_id id, const char* owner) {
  array_storage* s = (array_storage*)ud;
  stored_lease* l;
  ++s->calls;
  l = lease_of(s, id);
  if (l != NULL && l->held && strcmp(l->owner, owner) == 0) l->held = 0;
  return OMNIVOX_OK;
}

static int st_get_lease(void* ud, omnivox_contact_id id,
                        void (*receive)(void*, const omnivox_lease*), void* ctx) {
  array_storage* s = (array_storage*)ud;
  stored_lease* l;
  omnivox_lease out;
  ++s->calls;
  l = lease_of(s, id);
  if (l == NULL || !l->held) return OMNIVOX_ENOTFOUND;
  out.contact_id = id;
  out.owner = l->owner;
  out.expiry_ms = l->expiry_ms;
  receive(ctx, &out);
  return OMNIVOX_OK;
}

static int st_allocate_call_id(void* ud, omnivox_call_id* out) {
  array_storage* s = (array_storage*)ud;
  ++s->calls;
  *out = ++s->last_call_id;
  return OMNIVOX_OK;
}

static int st_put_attempt(void* ud, const omnivox_attempt* attempt) {
  array_storage* s = (array_storage*)ud;
  omnivox_attempt* slot;
  ++s->calls;
  if (attempt->call_id == 0) return OMNIVOX_EINVALID;
  if (!grow((void**)&s->attempts, &s->attempt_cap, (size_t)attempt->call_id, sizeof *s->attempts)) {
    return OMNIVOX_ESTORAGE;
  }
  slot = &s->attempts[attempt->call_id - 1];
  if (slot->call_id != 0) free_attempt(slot);
  copy_attempt(slot, attempt);
  return OMNIVOX_OK;
}

static int st_scan_contact_attempts(void* ud, omnivox_contact_id id, omnivox_attempt_visitor visit,
                                    void* ctx) {
  array_storage* s = (array_storage*)ud;
  size_t i;
  ++s->calls;
  for (i = 0; i < s->attempt_cap; ++i) {
    if (s->attempts[i].call_id != 0 && s->attempts[i].contact_id == id) {
      if (!visit(ctx, &s->attempts[i])) break;
    }
  }
  return OMNIVOX_OK;
}

static int st_scan_attempts(void* ud, const char* campaign_id, omnivox_attempt_visitor visit,
                            void* ctx) {
  array_storage* s = (array_storage*)ud;
  size_t i;
  ++s->calls;
  for (i = 0; i < s->attempt_cap; ++i) {
    if (s->attempts[i].call_id != 0 && strcmp(s->attempts[i].campaign_id, campaign_id) == 0) {
      if (!visit(ctx, &s->attempts[i])) break;
    }
  }
  return OMNIVOX_OK;
}

static int st_add_dnc(void* ud, const char* list, const char* e164) {
  array_storage* s = (array_storage*)ud;
  ++s->calls;
  if (!grow((void**)&s->dnc, &s->dnc_cap, s->dnc_count + 1, sizeof *s->dnc)) {
    return OMNIVOX_ESTORAGE;
  }
  s->dnc[s->dnc_count].list = copy_text(list);
  s->dnc[s->dnc_count].e164 = copy_text(e164);
  ++s->dnc_count;
  return OMNIVOX_OK;
}

static int st_is_dnc(void* ud, const char* campaign_id, const char* e164, int* out) {
  array_storage* s = (array_storage*)ud;
  size_t i;
  ++s->calls;
  *out = 0;
  for (i = 0; i < s->dnc_count; ++i) {
    if (strcmp(s->dnc[i].e164, e164) == 0 &&
        (strcmp(s->dnc[i].list, "global") == 0 || strcmp(s->dnc[i].list, campaign_id) == 0)) {
      *out = 1;
    }
  }
  return OMNIVOX_OK;
}

static int st_mark_event_processed(void* ud, const char* key, int* first_time) {
  array_storage* s = (array_storage*)ud;
  size_t i;
  ++s->calls;
  for (i = 0; i < s->processed_count; ++i) {
    if (strcmp(s->processed[i], key) == 0) {
      *first_time = 0;
      return OMNIVOX_OK;
    }
  }
  if (!grow((void**)&s->processed, &s->processed_cap, s->processed_count + 1,
            sizeof *s->processed)) {
    return OMNIVOX_ESTORAGE;
  }
  s->processed[s->processed_count++] = copy_text(key);
  *first_time = 1;
  return OMNIVOX_OK;
}

array_storage* array_storage_create(omnivox_storage* out) {
  array_storage* s = (array_storage*)calloc(1, sizeof *s);
  if (s == NULL) return NULL;
  memset(out, 0, sizeof *out);
  out->version = OMNIVOX_STORAGE_VERSION;
  out->user_data = s;
  out->put_campaign = st_put_campaign;
  out->get_campaign = st_get_campaign;
  out->put_list = st_put_list;
  out->scan_lists = st_scan_lists;
  out->add_contact = st_add_contact;
  out->get_contact = st_get_contact;
  out->update_contact = st_update_contact;
  out->scan_contacts = st_scan_contacts;
  out->contact_count = st_contact_count;
  out->count_by_status = st_count_by_status;
  out->claim_leases = st_claim_leases;
  out->renew_lease = st_renew_lease;
  out->release_lease = st_release_lease;
  out->get_lease = st_get_lease;
  out->allocate_call_id = st_allocate_call_id;
  out->put_attempt = st_put_attempt;
  out->scan_contact_attempts = st_scan_contact_attempts;
  out->scan_attempts = st_scan_attempts;
  out->add_dnc = st_add_dnc;
  out->is_dnc = st_is_dnc;
  out->append_journal = NULL; /* optional: no journal kept */
  out->scan_journal = NULL;
  out->mark_event_processed = st_mark_event_processed;
  return s;
}

void array_storage_destroy(array_storage* s) {
  size_t i;
  if (s == NULL) return;
  for (i = 0; i < s->campaign_count; ++i) {
    free(s->campaigns[i].id);
    free(s->campaigns[i].json);
  }
  free(s->campaigns);
  for (i = 0; i < s->list_count; ++i) {
    free(s->lists[i].campaign_id);
    free(s->lists[i].name);
  }
  free(s->lists);
  for (i = 0; i < s->contact_count; ++i) free_contact(&s->contacts[i]);
  free(s->contacts);
  for (i = 0; i < s->lease_cap; ++i) free(s->leases[i].owner);
  free(s->leases);
  for (i = 0; i < s->attempt_cap; ++i) {
    if (s->attempts[i].call_id != 0) free_attempt(&s->attempts[i]);
  }
  free(s->attempts);
  for (i = 0; i < s->dnc_count; ++i) {
    free(s->dnc[i].list);
    free(s->dnc[i].e164);
  }
  free(s->dnc);
  for (i = 0; i < s->processed_count; ++i) free(s->processed[i]);
  free(s->processed);
  free(s);
}

long array_storage_calls(const array_storage* s) { return s->calls; }

void array_storage_probe_engine(array_storage* s, omnivox_engine* engine, int* status_out) {
  s->probe_engine = engine;
  s->probe_status = status_out;
}

/* ------------------------------------------------------------------------------------------ */
/* Scripted telephony */

struct script_telephony {
  omnivox_engine* engine; /* set by start() */
  double time_scale;
  long originated;
  long report_errors;
  long stop_amd_calls;
};

/* One event to report later; allocated per timer, freed when it fires. */
typedef struct pending_event {
  script_telephony* t;
  omnivox_call_id call;
  int kind;
} pending_event;

static void report_now(script_telephony* t, omnivox_call_id call, int kind, int fail_reason) {
  omnivox_call_event e = OMNIVOX_CALL_EVENT_INIT;
  e.call_id = call;
  e.kind = kind;
  e.fail_reason = fail_reason;
  if (omnivox_engine_report_call_event(t->engine, &e, NULL) != OMNIVOX_OK) ++t->report_errors;
}

static void fire(void* user_data) {
  pending_event* p = (pending_event*)user_data;
  report_now(p->t, p->call, p->kind, OMNIVOX_FAIL_NONE);
  free(p);
}

static void report_after(script_telephony* t, omnivox_call_id call, int kind, double delay_s) {
  int64_t now = 0;
  pending_event* p = (pending_event*)malloc(sizeof *p);
  if (p == NULL) {
    ++t->report_errors;
    return;
  }
  p->t = t;
  p->call = call;
  p->kind = kind;
  if (omnivox_engine_now(t->engine, &now, NULL) != OMNIVOX_OK ||
      omnivox_engine_schedule(t->engine, now + (int64_t)(delay_s * t->time_scale * 1000.0), fire, p,
                              NULL, NULL) != OMNIVOX_OK) {
    ++t->report_errors;
    free(p);
  }
}

static void tel_start(void* user_data, omnivox_engine* engine) {
  ((script_telephony*)user_data)->engine = engine;
}

static int tel_originate(void* user_data, const omnivox_originate_request* r) {
  script_telephony* t = (script_telephony*)user_data;
  size_t n = strlen(r->to);
  int digit = n > 0 ? r->to[n - 1] - '0' : 0;
  ++t->originated;
  if (digit == 8) return 1; /* refused: the engine records FAILED itself */
  if (digit == 9) {         /* reported from inside originate: the engine queues it */
    report_now(t, r->call_id, OMNIVOX_EVENT_FAILED, OMNIVOX_FAIL_NETWORK);
    return 0;
  }
  report_after(t, r->call_id, OMNIVOX_EVENT_INITIATED, 0.2);
  if (digit <= 3) {
    report_after(t, r->call_id, OMNIVOX_EVENT_RINGING, 1.0);
    report_after(t, r->call_id, OMNIVOX_EVENT_ANSWERED, 4.0);
  } else if (digit <= 5) {
    report_after(t, r->call_id, OMNIVOX_EVENT_BUSY, 3.0);
  } else {
    report_after(t, r->call_id, OMNIVOX_EVENT_RINGING, 1.0);
    report_after(t, r->call_id, OMNIVOX_EVENT_NO_ANSWER, 20.0);
  }
  return 0;
}

static void tel_hangup(void* user_data, omnivox_call_id call) {
  report_now((script_telephony*)user_data, call, OMNIVOX_EVENT_COMPLETED, OMNIVOX_FAIL_NONE);
}

static void tel_bridge(void* user_data, omnivox_call_id call, omnivox_agent_id agent) {
  script_telephony* t = (script_telephony*)user_data;
  (void)agent;
  report_now(t, call, OMNIVOX_EVENT_BRIDGED, OMNIVOX_FAIL_NONE); /* from inside bridge: queued */
  report_after(t, call, OMNIVOX_EVENT_COMPLETED, 40.0);
}

static void tel_stop_amd(void* user_data, omnivox_call_id call) {
  (void)call;
  ++((script_telephony*)user_data)->stop_amd_calls;
}

script_telephony* script_telephony_create(double time_scale, omnivox_telephony* out) {
  script_telephony* t = (script_telephony*)calloc(1, sizeof *t);
  if (t == NULL) return NULL;
  t->time_scale = time_scale;
  memset(out, 0, sizeof *out);
  out->version = OMNIVOX_TELEPHONY_VERSION;
  out->user_data = t;
  out->start = tel_start;
  out->originate = tel_originate;
  out->hangup = tel_hangup;
  out->bridge = tel_bridge;
  out->play = NULL;
  out->stop = NULL;
  out->lookup_call = NULL;
  out->stop_amd = tel_stop_amd;
  return t;
}

void script_telephony_destroy(script_telephony* t) { free(t); }
long script_telephony_originated(const script_telephony* t) { return t->originated; }
long script_telephony_report_errors(const script_telephony* t) { return t->report_errors; }
long script_telephony_stop_amd_calls(const script_telephony* t) { return t->stop_amd_calls; }
