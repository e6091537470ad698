// Scenario: the parameters of one simulated network (a YAML file under scenarios/), with a
// documented default for every key (docs/simulator.md). Unknown keys are errors with their
// path, as in the main configuration. Immutable once loaded.
#pragma once

#include <string>
#include <vector>

#include "callguard/status.h"

namespace callguard::sim {

struct SubscriberParams {
  int count = 100000;
  double contacts_median = 8;  // personal contact list size: log-normal
  double contacts_sigma = 0.8;
  double calls_per_day_median = 2.5;  // calls placed per subscriber per day: log-normal
  double calls_per_day_sigma = 0.9;
  double answer_rate = 0.8;
  double talk_median_s = 90;  // talk time of answered calls: log-normal
  double talk_sigma = 1.0;
  double return_call_share = 0.3;     // answered calls that the callee returns later
  double second_number_share = 0.05;  // subscribers with a second number
  double elderly_share = 0.187;       // age 60+ (China 2020 census: 18.7%)
  double vulnerable_share_of_elderly = 0.2;
};

// A kind of legitimate high-volume caller (courier, hospital, bank, ...).
struct LegitParams {
  std::string category;
  int numbers = 0;             // how many such numbers per scenario
  double calls_per_day = 100;  // per number
  double answer_rate = 0.7;
  double talk_median_s = 30;
  double talk_sigma = 0.6;
  double callback_share = 0.1;  // answered calls returned by the callee
  double registered_share = 0.5;
  std::string ingress = "mobile";      // mobile, fixed, voip, interconnect
  std::string number_kind = "mobile";  // mobile or fixed
  bool attested = false;               // STIR/SHAKEN attestation A (enterprise VoIP)
  int start_hour = 9;                  // local working hours
  int end_hour = 18;
};

// A scam operation.
struct OperationParams {
  std::string id;
  std::string type;  // call_centre, simbox, wangiri, robocall, camouflage
  int agents = 50;   // call-centre agents, SIM-box SIMs, robocall or wangiri numbers
  double calls_per_agent_per_day = 200;
  std::string cli = "random_domestic";    // call centres: random_domestic, official, rotate_daily
  double numbers_per_agent_per_day = 4;   // fresh caller IDs per agent and day (random_domestic)
  std::string ingress = "international";  // international or voip (call centres, robocalls)
  std::string origin_country = "KH";
  std::vector<std::string> ip_blocks;  // /24 blocks the signalling comes from
  int targets = 20000;                 // leaked target list size (shared by the agents)
  double elderly_bias = 3.0;           // how much likelier an elderly subscriber is on the list
  double answer_rate = 0.2;
  double victim_share = 0.08;  // answered calls that become long (the victims)
  double victim_talk_median_s = 1500;
  double callback_share = 0.003;
  int start_hour = 9;
  int end_hour = 21;
  int sims_per_device = 16;  // SIM-box: SIMs sharing one device (IMEI) and cell
  int warmup_days = 0;       // camouflage: days of normal-looking calls before the strike
  double interval_s = 6;     // robocall: machine-regular spacing of one number's calls
};

struct Scenario {
  std::string name;
  std::string description;
  int days = 1;
  std::string start_date = "2026-03-02";  // first simulated day (local)
  int utc_offset_min = 480;
  SubscriberParams subscribers;
  std::vector<LegitParams> legit;
  std::vector<OperationParams> operations;
};

Result<Scenario> LoadScenario(const std::string& path);
Result<Scenario> ParseScenario(const std::string& yaml_text, const std::string& name);

}  // namespace callguard::sim
