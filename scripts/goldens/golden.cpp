// Writes llama.cpp's answers for a model as Parley's golden file: tokenisation of test strings,
// rendered chat prompts and their ids, and for each case greedy generation with every step's
// top-5 logits and margin, free-running (one token per decode, as a chat runs) and teacher-forced
// (prompt and generated ids in one decode, logits at every position).
//
// Built and run by scripts/make-goldens against the llama.cpp vendored in llama-cpp-python.
// Usage: golden MODEL.gguf CASES.json OUT.json THREADS
// With GOLDEN_NO_REPACK=1 llama.cpp's CPU weight repacking is off (its plain dot products), and
// with GOLDEN_FLASH_ATTN=1 flash attention is on: scripts/golden-spread compares those answers
// with the goldens, to show how far llama.cpp moves by itself.
#include "llama.h"
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

using json = nlohmann::ordered_json;

static const int kTop = 5;

static std::vector<llama_token> tokenize(const llama_vocab *vocab, const std::string &text, bool add_special) {
    std::vector<llama_token> ids(text.size() + 8);
    int n = llama_tokenize(vocab, text.data(), (int32_t)text.size(), ids.data(), (int32_t)ids.size(), add_special, true);
    if (n < 0) {
        ids.resize(-n);
        n = llama_tokenize(vocab, text.data(), (int32_t)text.size(), ids.data(), (int32_t)ids.size(), add_special, true);
    }
    ids.resize(n);
    return ids;
}

static std::string piece(const llama_vocab *vocab, llama_token id) {
    char buf[256];
    int n = llama_token_to_piece(vocab, id, buf, sizeof buf, 0, true);
    return n < 0 ? std::string() : std::string(buf, n);
}

static std::string detokenize(const llama_vocab *vocab, const std::vector<llama_token> &ids) {
    std::string out(ids.size() * 16 + 16, '\0');
    int n = llama_detokenize(vocab, ids.data(), (int32_t)ids.size(), out.data(), (int32_t)out.size(), false, true);
    if (n < 0) {
        out.resize(-n);
        n = llama_detokenize(vocab, ids.data(), (int32_t)ids.size(), out.data(), (int32_t)out.size(), false, true);
    }
    out.resize(n);
    return out;
}

static double round5(float x) { return std::round((double)x * 1e5) / 1e5; }

/// The greedy choice (ties to the lowest id), the top-5 and the margin between the first two.
static json step(const llama_vocab *vocab, const float *logits, int n_vocab, llama_token *chosen) {
    std::vector<int> order(n_vocab);
    for (int i = 0; i < n_vocab; i++) order[i] = i;
    std::partial_sort(order.begin(), order.begin() + kTop, order.end(), [&](int a, int b) {
        return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
    });
    json top = json::array();
    for (int k = 0; k < kTop; k++) {
        top.push_back({{"id", order[k]}, {"logit", round5(logits[order[k]])}, {"piece", piece(vocab, order[k])}});
    }
    *chosen = order[0];
    return {{"top", top}, {"margin", round5(logits[order[0]] - logits[order[1]])}};
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s MODEL.gguf CASES.json OUT.json THREADS\n", argv[0]);
        return 2;
    }
    const std::string model_path = argv[1];
    json cases = json::parse(std::ifstream(argv[2]));
    const int threads = std::stoi(argv[4]);
    const int n_generate = cases.value("generate", 48);

    llama_backend_init();
    const bool repack = getenv("GOLDEN_NO_REPACK") == nullptr, flash_attn = getenv("GOLDEN_FLASH_ATTN") != nullptr;
    llama_model_params model_params = llama_model_default_params();
    model_params.use_extra_bufts = repack;
    llama_model *model = llama_model_load_from_file(model_path.c_str(), model_params);
    if (!model) {
        fprintf(stderr, "golden: cannot load %s\n", model_path.c_str());
        return 1;
    }
    const llama_vocab *vocab = llama_model_get_vocab(model);
    const int n_vocab = llama_vocab_n_tokens(vocab);
    llama_context_params params = llama_context_default_params();
    params.n_ctx = 2048;
    params.n_batch = 2048;
    params.n_ubatch = 512;
    params.n_threads = threads;
    params.n_threads_batch = threads;
    params.flash_attn_type = flash_attn ? LLAMA_FLASH_ATTN_TYPE_ENABLED : LLAMA_FLASH_ATTN_TYPE_DISABLED;
    llama_context *ctx = llama_init_from_model(model, params);
    if (!ctx) {
        fprintf(stderr, "golden: cannot create a context\n");
        return 1;
    }
    const char *template_text = llama_model_chat_template(model, nullptr);

    json out;
    out["model_file"] = model_path.substr(model_path.find_last_of('/') + 1);
    out["engine"] = {{"name", "llama.cpp"}, {"commit", "0c1e57098"}, {"source", "llama-cpp-python 0.3.36 sdist (vendor/llama.cpp)"}};
    out["settings"] = {
        {"n_ctx", 2048}, {"n_batch", 2048}, {"n_ubatch", 512}, {"n_threads", threads}, {"flash_attn", flash_attn ? "on" : "off"},
        {"weight_repacking", repack ? "on" : "off"},
        {"kv_cache_type", "f16"},
        {"tokenize", "llama_tokenize(add_special=true, parse_special=true)"},
        {"chat_template", "llama_chat_apply_template with the file's template, add_ass=true; a case with 'prompt' is taken as is"},
        {"free_running", "the prompt in one llama_decode, then one token per call; greedy (argmax, ties to the lowest id); EOG does not stop"},
        {"teacher_forced", "prompt + generated ids in one llama_decode, logits at every position"}};
    out["vocab"] = {{"n_vocab", n_vocab}, {"add_bos", llama_vocab_get_add_bos(vocab)}};

    json tokenizer_cases = json::array();
    for (const auto &text : cases["tokenizer"]) {
        auto ids = tokenize(vocab, text.get<std::string>(), false);
        tokenizer_cases.push_back({{"text", text}, {"ids", ids}, {"detokenized", detokenize(vocab, ids)}});
    }
    out["tokenizer_cases"] = tokenizer_cases;

    json chat_cases = json::array();
    for (const auto &c : cases["chat"]) {
        std::string rendered;
        json entry = {{"name", c["name"]}};
        if (c.contains("prompt")) {
            rendered = c["prompt"].get<std::string>();
            entry["prompt"] = rendered;
            entry["messages"] = json::array();
        } else {
            std::vector<std::string> roles, contents;
            for (const auto &m : c["messages"]) {
                roles.push_back(m["role"]);
                contents.push_back(m["content"]);
            }
            std::vector<llama_chat_message> messages;
            for (size_t i = 0; i < roles.size(); i++) messages.push_back({roles[i].c_str(), contents[i].c_str()});
            std::vector<char> buf(8192);
            int n = llama_chat_apply_template(template_text, messages.data(), messages.size(), true, buf.data(), (int32_t)buf.size());
            if (n < 0) throw std::runtime_error("llama.cpp has no built-in template for this model");
            if (n > (int)buf.size()) {
                buf.resize(n);
                n = llama_chat_apply_template(template_text, messages.data(), messages.size(), true, buf.data(), (int32_t)buf.size());
            }
            rendered.assign(buf.data(), n);
            entry["messages"] = c["messages"];
        }
        entry["rendered_prompt"] = rendered;
        auto prompt = tokenize(vocab, rendered, true);
        entry["prompt_ids"] = prompt;

        // Free-running.
        llama_memory_clear(llama_get_memory(ctx), true);
        if (llama_decode(ctx, llama_batch_get_one(prompt.data(), (int32_t)prompt.size())) != 0) throw std::runtime_error("decode failed");
        std::vector<llama_token> generated;
        json free_steps = json::array();
        for (int i = 0; i < n_generate; i++) {
            llama_token next;
            free_steps.push_back(step(vocab, llama_get_logits_ith(ctx, -1), n_vocab, &next));
            generated.push_back(next);
            if (llama_decode(ctx, llama_batch_get_one(&generated.back(), 1)) != 0) throw std::runtime_error("decode failed");
        }

        // Teacher-forced: every position of prompt + generated (less the last) in one call.
        llama_memory_clear(llama_get_memory(ctx), true);
        std::vector<llama_token> all = prompt;
        all.insert(all.end(), generated.begin(), generated.end() - 1);
        llama_batch batch = llama_batch_init((int32_t)all.size(), 0, 1);
        for (size_t i = 0; i < all.size(); i++) {
            batch.token[i] = all[i];
            batch.pos[i] = (llama_pos)i;
            batch.n_seq_id[i] = 1;
            batch.seq_id[i][0] = 0;
            batch.logits[i] = i + 1 >= prompt.size();
        }
        batch.n_tokens = (int32_t)all.size();
        if (llama_decode(ctx, batch) != 0) throw std::runtime_error("decode failed");
        json forced_steps = json::array();
        for (size_t i = prompt.size() - 1; i < all.size(); i++) {
            llama_token top;
            forced_steps.push_back(step(vocab, llama_get_logits_ith(ctx, (int32_t)i), n_vocab, &top));
        }
        llama_batch_free(batch);

        entry["first_position_top5"] = free_steps[0]["top"];
        entry["generated_ids"] = generated;
        entry["generated_text"] = detokenize(vocab, generated);
        json margins = json::array();
        for (const auto &s : free_steps) margins.push_back(s["margin"]);
        entry["top1_minus_top2_logit_margin_per_step"] = margins;
        int first_eog = -1;
        for (size_t i = 0; i < generated.size(); i++) {
            if (llama_vocab_is_eog(vocab, generated[i])) {
                first_eog = (int)i;
                break;
            }
        }
        entry["first_eog_index"] = first_eog < 0 ? json(nullptr) : json(first_eog);
        entry["free_running_steps"] = free_steps;
        entry["teacher_forced_steps"] = forced_steps;
        chat_cases.push_back(entry);
        fprintf(stderr, "golden: %s: %zu prompt tokens\n", c["name"].get<std::string>().c_str(), prompt.size());
    }
    out["chat_cases"] = chat_cases;

    std::ofstream(argv[3]) << out.dump(1) << "\n";
    llama_free(ctx);
    llama_model_free(model);
    return 0;
}
