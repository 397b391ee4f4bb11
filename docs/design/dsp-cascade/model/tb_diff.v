`timescale 1ps/1ps
// Differential test: subset model vs the UNISIM DSP48E2 (Apache-2.0, 2018.3) under random dynamic
// inputs, for several static configurations.
module pair #(parameter integer AR = 1, BR = 1, ACR = 1, BCR = 1, MR = 1, PR = 1, CR = 0,
              parameter AMS = "A", parameter AIN = "DIRECT", parameter BIN = "DIRECT") (
    input clk, input [29:0] a, acin, input [17:0] b, bcin, input [47:0] c, pcin, input [26:0] d,
    input [4:0] inmode, input [8:0] opmode, input [3:0] alumode, input cin,
    input cea1, cea2, ceb1, ceb2, cem, cep, cec, rst, output reg bad);
  wire [47:0] p0, p1, pc0, pc1; wire [29:0] ac0, ac1; wire [17:0] bc0, bc1;
  `define PARAMS .AREG(AR), .BREG(BR), .ACASCREG(ACR), .BCASCREG(BCR), .MREG(MR), .PREG(PR), .CREG(CR), \
     .DREG(0), .ADREG(0), .INMODEREG(0), .OPMODEREG(0), .ALUMODEREG(0), .CARRYINREG(0), .CARRYINSELREG(0), \
     .AMULTSEL(AMS), .A_INPUT(AIN), .B_INPUT(BIN), .RND(48'h000000020000)
  `define PORTS(P_,PC_,AC_,BC_) .CLK(clk), .A(a), .ACIN(acin), .B(b), .BCIN(bcin), .C(c), .D(d), .PCIN(pcin), \
     .INMODE(inmode), .OPMODE(opmode), .ALUMODE(alumode), .CARRYIN(cin), .CARRYINSEL(3'b000), \
     .CARRYCASCIN(1'b0), .MULTSIGNIN(1'b0), .CEA1(cea1), .CEA2(cea2), .CEB1(ceb1), .CEB2(ceb2), .CEM(cem), \
     .CEP(cep), .CEC(cec), .CED(1'b0), .CEAD(1'b0), .CEINMODE(1'b0), .CECTRL(1'b0), .CEALUMODE(1'b0), \
     .CECARRYIN(1'b0), .RSTA(rst), .RSTB(rst), .RSTC(rst), .RSTD(1'b0), .RSTM(rst), .RSTP(rst), \
     .RSTINMODE(1'b0), .RSTCTRL(1'b0), .RSTALUMODE(1'b0), .RSTALLCARRYIN(1'b0), \
     .P(P_), .PCOUT(PC_), .ACOUT(AC_), .BCOUT(BC_)
  DSP48E2     #(`PARAMS) u (`PORTS(p0, pc0, ac0, bc0));
  DSP48E2_SUB #(`PARAMS) s (`PORTS(p1, pc1, ac1, bc1));
  always @(negedge clk) #500 bad <= (p0 !== p1) || (pc0 !== pc1) || (ac0 !== ac1) || (bc0 !== bc1);
endmodule
module tb;
  reg clk = 0; always #1000 clk = ~clk;
  reg [29:0] a, acin; reg [17:0] b, bcin; reg [47:0] c, pcin; reg [26:0] d; reg [4:0] inmode;
  reg [8:0] opmode; reg [3:0] alumode; reg cin, cea1, cea2, ceb1, ceb2, cem, cep, cec, rst;
  wire [7:0] bad; integer n, errs [0:7], k;
  pair #(.AR(1), .BR(2), .ACR(1), .BCR(1))                         q0 (clk, a, acin, b, bcin, c, pcin, d, inmode, opmode, alumode, cin, cea1, cea2, ceb1, ceb2, cem, cep, cec, rst, bad[0]);
  pair #(.AR(1), .BR(2), .ACR(1), .BCR(1), .BIN("CASCADE"))        q1 (clk, a, acin, b, bcin, c, pcin, d, inmode, opmode, alumode, cin, cea1, cea2, ceb1, ceb2, cem, cep, cec, rst, bad[1]);
  pair #(.AR(2), .BR(1), .ACR(1), .BCR(1), .AIN("CASCADE"))        q2 (clk, a, acin, b, bcin, c, pcin, d, inmode, opmode, alumode, cin, cea1, cea2, ceb1, ceb2, cem, cep, cec, rst, bad[2]);
  pair #(.AR(2), .BR(1), .ACR(1), .BCR(1), .AMS("AD"))             q3 (clk, a, acin, b, bcin, c, pcin, d, inmode, opmode, alumode, cin, cea1, cea2, ceb1, ceb2, cem, cep, cec, rst, bad[3]);
  pair #(.AR(2), .BR(2), .ACR(2), .BCR(2), .CR(1))                 q4 (clk, a, acin, b, bcin, c, pcin, d, inmode, opmode, alumode, cin, cea1, cea2, ceb1, ceb2, cem, cep, cec, rst, bad[4]);
  pair #(.AR(0), .BR(0), .ACR(0), .BCR(0), .MR(0), .PR(1))         q5 (clk, a, acin, b, bcin, c, pcin, d, inmode, opmode, alumode, cin, cea1, cea2, ceb1, ceb2, cem, cep, cec, rst, bad[5]);
  pair #(.AR(1), .BR(1), .ACR(1), .BCR(1), .MR(0), .PR(0))         q6 (clk, a, acin, b, bcin, c, pcin, d, inmode, opmode, alumode, cin, cea1, cea2, ceb1, ceb2, cem, cep, cec, rst, bad[6]);
  pair #(.AR(2), .BR(2), .ACR(1), .BCR(1), .AMS("AD"), .AIN("CASCADE"), .BIN("CASCADE")) q7 (clk, a, acin, b, bcin, c, pcin, d, inmode, opmode, alumode, cin, cea1, cea2, ceb1, ceb2, cem, cep, cec, rst, bad[7]);
  function [8:0] rop(input integer r);   // W | Z | Y X within the subset
    reg [1:0] wsel; reg [2:0] zsel; begin
      wsel = r[1:0]; zsel = {1'b0, r[3:2]}; rop = {wsel, zsel, (r[4] ? 4'b0101 : 4'b0000)}; end
  endfunction
  initial begin
    for (k = 0; k < 8; k = k + 1) errs[k] = 0;
    #(200000); @(negedge clk);
    for (n = 0; n < 10000; n = n + 1) begin
      a = {$random, $random}; acin = {$random, $random}; b = $random; bcin = $random;
      c = {$random, $random}; pcin = {$random, $random}; d = $random;
      // INMODE: bit0 A1/A2, bit1 zero A, bit2 D enable, bit3 subtract, bit4 B1/B2
      inmode = $random; opmode = rop($random); alumode = ($random & 1) ? 4'b0011 : 4'b0000; cin = $random;
      {cea1, cea2, ceb1, ceb2, cem, cep, cec} = $random; rst = (($random & 63) == 0);
      @(negedge clk); #600;
      for (k = 0; k < 8; k = k + 1) if (bad[k] === 1'b1) errs[k] = errs[k] + 1;
    end
    for (k = 0; k < 8; k = k + 1) $display("config %0d: mismatching cycles %0d / 10000", k, errs[k]);
    $finish;
  end
endmodule
